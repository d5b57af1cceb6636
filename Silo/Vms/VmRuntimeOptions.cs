namespace Formation.Silo.Vms;

/// <summary>How the node runs VMs (section Formation:Vms).</summary>
public sealed class VmRuntimeOptions
{
    public const string Section = "Formation:Vms";

    /// <summary>How long a guest may take to print its readiness line before the VM is Failed.</summary>
    public TimeSpan BootTimeout { get; set; } = TimeSpan.FromMinutes(3);

    /// <summary>How long a graceful stop may take before the VM is killed.</summary>
    public TimeSpan StopTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The most console output each VM's log keeps on disk (default 16 MiB, at least 1 MiB); beyond it the oldest half is
    /// dropped. formation-vmm holds it exactly; under qemu the silo trims the log every
    /// <see cref="Formation.Silo.Hypervisors.Qemu.QemuOptions.ConsoleLogTrimInterval"/>.
    /// </summary>
    public long ConsoleLogMaxBytes { get; set; } = Formation.Vmm.Protocol.ConsoleLogCap.DefaultMaxBytes;

    /// <summary>What is wrong with these options, each saying what to do (empty when nothing is).</summary>
    public IEnumerable<string> Problems()
    {
        if (ConsoleLogCap().Problem() is { } cap)
        {
            yield return $"Vms:ConsoleLogMaxBytes: {cap}.";
        }
    }

    /// <summary>The console log cap VMs are launched with.</summary>
    public Formation.Vmm.Protocol.ConsoleLogCap ConsoleLogCap() => new() { MaxBytes = ConsoleLogMaxBytes };

    /// <summary>How long the guest agent may take to answer the handshake, and then to start a command (<c>form vm exec</c>).</summary>
    public TimeSpan AgentTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>An exec session no client has read or written for this long is ended and its command killed.</summary>
    public TimeSpan ExecIdleTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>The line a Formation guest prints when it is up.</summary>
    public string ReadyLine { get; set; } = Formation.Images.ImageManifest.ReadyLine;
}
