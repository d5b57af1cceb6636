using Formation.Vmm.Protocol;

namespace Formation.Kvm.Native.Vcpu;

/// <summary>Exit counts of one vCPU, by kind (written by its thread, read by anyone).</summary>
public sealed class ExitCounters
{
    private long _io, _mmio, _hlt, _intr, _internal, _other, _unhandledIo, _unhandledMmio, _fixups;

    public long Io => Interlocked.Read(ref _io);

    public long Mmio => Interlocked.Read(ref _mmio);

    public long Hlt => Interlocked.Read(ref _hlt);

    public long Interrupted => Interlocked.Read(ref _intr);

    public long InternalError => Interlocked.Read(ref _internal);

    public long Other => Interlocked.Read(ref _other);

    public long UnhandledIo => Interlocked.Read(ref _unhandledIo);

    public long UnhandledMmio => Interlocked.Read(ref _unhandledMmio);

    public long Fixups => Interlocked.Read(ref _fixups);

    internal void CountIo(bool handled)
    {
        Interlocked.Increment(ref _io);
        if (!handled)
        {
            Interlocked.Increment(ref _unhandledIo);
        }
    }

    internal void CountMmio(bool handled)
    {
        Interlocked.Increment(ref _mmio);
        if (!handled)
        {
            Interlocked.Increment(ref _unhandledMmio);
        }
    }

    internal void CountHlt() => Interlocked.Increment(ref _hlt);

    internal void CountInterrupted() => Interlocked.Increment(ref _intr);

    internal void CountInternalError() => Interlocked.Increment(ref _internal);

    internal void CountOther() => Interlocked.Increment(ref _other);

    internal void CountFixup() => Interlocked.Increment(ref _fixups);

    /// <summary>The counts now, for the control API's info.</summary>
    public VcpuExitCounts Snapshot() => new(Io, Mmio, Hlt, Interrupted, InternalError, Other, UnhandledIo, UnhandledMmio, Fixups);
}
