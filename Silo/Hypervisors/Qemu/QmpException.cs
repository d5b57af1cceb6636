namespace Formation.Silo.Hypervisors.Qemu;

/// <summary>QEMU refused or could not run a QMP command.</summary>
public sealed class QmpException(string command, string message) : Exception($"QMP {command}: {message}")
{
    public string Command { get; } = command;
}
