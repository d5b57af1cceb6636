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

    /// <summary>Makes live migrations fail on this node, at the sending or the receiving end (tests of the undo); none by default.</summary>
    public SimMigrationFault MigrationFault { get; set; }
}

/// <summary>Where a simulated live migration fails (<see cref="SimOptions.MigrationFault"/>).</summary>
public enum SimMigrationFault
{
    None = 0,

    /// <summary>The old node's send breaks: the VM runs on there.</summary>
    Send = 1,

    /// <summary>The new node's VM never arrives (reports Failed).</summary>
    Arrive = 2,
}
