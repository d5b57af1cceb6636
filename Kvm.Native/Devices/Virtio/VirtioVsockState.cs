namespace Formation.Kvm.Native.Devices.Virtio;

/// <summary>
/// What of <see cref="VirtioVsock"/> survives a snapshot: its identity and where host ports continue. Connections do not
/// (their Unix sockets belong to host processes): a restored device starts without any and tells the guest with
/// <see cref="VirtioVsock.SendTransportReset"/>, as Firecracker does. The queues' own state is the transport's.
/// </summary>
public sealed record VirtioVsockState(ulong GuestCid, uint NextHostPort) : VirtioDeviceState;
