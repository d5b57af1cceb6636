namespace Formation.Kvm.Native.Devices;

/// <summary>
/// A device on the port-I/O or MMIO bus. <paramref name="offset"/> is relative to the device's base.
/// Implementations must tolerate any offset and size a guest can produce (ignore or fail the device,
/// never throw) and are called from several vCPU threads, so they synchronize internally.
/// </summary>
public interface IBusDevice
{
    void Read(ulong offset, Span<byte> data);

    void Write(ulong offset, ReadOnlySpan<byte> data);
}
