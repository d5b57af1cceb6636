namespace Formation.Grains.Vms;

/// <summary>
/// Fault points for tests that kill a silo at a chosen moment (section Formation:Testing). Off unless configured; the
/// silo warns at start when one is on. Never set them on a node that runs real work.
/// </summary>
public sealed class VmCatalogTestHooks
{
    public const string Section = "Formation:Testing";

    /// <summary>Every create waits forever between its placement and the VM's creation (the window of finding 10).</summary>
    public bool HoldCreateAfterPlacement { get; set; }
}
