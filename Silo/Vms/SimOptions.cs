namespace Formation.Silo.Vms;

/// <summary>Settings of the <c>sim</c> driver.</summary>
public sealed class SimOptions
{
    public const string Section = "Formation:Sim";

    /// <summary>How long a simulated boot or shutdown takes.</summary>
    public TimeSpan BootDelay { get; set; } = TimeSpan.FromMilliseconds(20);

    /// <summary>
    /// Give simulated VMs an address from the node's pool (the cluster's real address plan, no TAP), as real VMs get:
    /// for tests of what follows addresses (DNS). Off by default: scale runs skip the two grain calls per VM.
    /// </summary>
    public bool Addresses { get; set; }
}
