using Formation.Kvm.Native.Interop;

namespace Formation.Kvm.Native.Devices.Virtio;

/// <summary>virtio-net frames to and from a TAP device.</summary>
public sealed class TapBackend(Tap tap) : INetBackend
{
    public string Name => tap.Name;

    public bool TryWrite(ReadOnlySpan<byte> frame) => tap.TryWrite(frame);

    public int Read(Span<byte> buffer, int timeoutMs) => tap.Read(buffer, timeoutMs);

    public void Wake() => tap.Wake();

    public void Dispose() => tap.Dispose();
}
