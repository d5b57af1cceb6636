namespace Formation.Kvm.Native.Vcpu;

/// <summary>What a vCPU thread asks of the machine that owns it.</summary>
public interface IVcpuSupervisor
{
    /// <summary>Blocks while the machine is paused; false when the vCPU must stop.</summary>
    bool WaitUntilRunnable(VcpuRunner runner);

    /// <summary>The vCPU hit an exit that ends the VM (or a KVM error); <paramref name="detail"/> says what.</summary>
    void OnTerminalExit(VcpuRunner runner, VcpuExitKind kind, string detail);

    /// <summary>Answer to a halt probe: true when the vCPU is halted with interrupts off or was never started.</summary>
    void OnProbe(VcpuRunner runner, bool dead);
}
