namespace Formation.Silo.Vms;

/// <summary>Settings of the <c>sim</c> driver.</summary>
public sealed class SimOptions
{
    /// <summary>How long a simulated boot or shutdown takes.</summary>
    public TimeSpan BootDelay { get; set; } = TimeSpan.FromMilliseconds(20);
}
