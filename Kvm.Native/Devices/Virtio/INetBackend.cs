namespace Formation.Kvm.Native.Devices.Virtio;

/// <summary>Frames in and out of virtio-net: a TAP in the VMM, a queue in tests.</summary>
public interface INetBackend : IDisposable
{
    bool TryWrite(ReadOnlySpan<byte> frame);

    /// <summary>Waits up to <paramref name="timeoutMs"/> for a frame; its length, 0 if none, -1 when closed.</summary>
    int Read(Span<byte> buffer, int timeoutMs);

    /// <summary>Makes a blocked <see cref="Read"/> return (used to stop the receive thread).</summary>
    void Wake();
}
