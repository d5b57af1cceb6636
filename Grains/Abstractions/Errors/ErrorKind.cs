namespace Formation.Errors;

/// <summary>What kind of failure a <see cref="FormationException"/> reports.</summary>
[GenerateSerializer]
[Alias("formation.error-kind")]
public enum ErrorKind
{
    /// <summary>An argument was malformed or out of range.</summary>
    InvalidArgument = 1,

    /// <summary>The named VM, node or image does not exist.</summary>
    NotFound = 2,

    /// <summary>The request conflicts with current state (duplicate name, illegal state transition).</summary>
    Conflict = 3,

    /// <summary>No node has room for the request.</summary>
    NoCapacity = 4,

    /// <summary>The node that hosts the resource is not connected to the cluster.</summary>
    NodeUnavailable = 5,

    /// <summary>The host (hypervisor, disk, network) failed to do what was asked.</summary>
    HostFailure = 6,

    /// <summary>The caller is known but may not do this (an admin-only command from a member).</summary>
    PermissionDenied = 7,

    /// <summary>The caller's credential is missing, not the cluster's, expired or revoked.</summary>
    Unauthenticated = 8,

    /// <summary>The request would take the account past one of its quotas.</summary>
    QuotaExceeded = 9,
}
