namespace Formation.Identity;

/// <summary>
/// Marks a grain interface method (or every method of an interface) that only the cluster's own silos call: a node's
/// reports and heartbeats, the scheduler's placement and reservations, catalog rows a VM grain keeps up to date, address
/// leases. No user-facing path (form, the dashboard) calls one; the local and HTTP APIs reach them, if at all, as their
/// node. The silo's identity filter refuses a call to one whose proof is not signed by a node certificate
/// (<c>OU=node</c>) with PermissionDenied before the grain runs, so a client cannot skip the checks the user-facing
/// method in front of it makes (the catalog's name, quota and image checks before <c>IVmGrain.CreateAsync</c>).
/// </summary>
[AttributeUsage(AttributeTargets.Method | AttributeTargets.Interface, Inherited = false)]
public sealed class NodeOnlyAttribute : Attribute;
