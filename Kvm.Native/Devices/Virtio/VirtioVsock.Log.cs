using Microsoft.Extensions.Logging;

namespace Formation.Kvm.Native.Devices.Virtio;

public sealed partial class VirtioVsock
{
    [LoggerMessage(Level = LogLevel.Warning, Message = "virtio-vsock: guest error {Count}: {Message}")]
    private partial void LogGuestError(long count, string message);

    [LoggerMessage(Level = LogLevel.Debug, Message = "virtio-vsock: the guest asked for host port {HostPort} from its port {GuestPort}: refused (only host-initiated connections)")]
    private partial void LogGuestRequestRefused(uint hostPort, uint guestPort);

    [LoggerMessage(Level = LogLevel.Debug, Message = "virtio-vsock: the guest reset its port {GuestPort} ↔ host port {HostPort}")]
    private partial void LogGuestReset(uint guestPort, uint hostPort);

    [LoggerMessage(Level = LogLevel.Debug, Message = "virtio-vsock: guest port {GuestPort} ↔ host port {HostPort} closed by both sides")]
    private partial void LogClosed(uint guestPort, uint hostPort);

    [LoggerMessage(Level = LogLevel.Debug, Message = "virtio-vsock: the host client of guest port {GuestPort} (host port {HostPort}) went away")]
    private partial void LogHostGone(uint guestPort, uint hostPort);

    [LoggerMessage(Level = LogLevel.Warning, Message = "virtio-vsock: refused a host client: {Max} are connected already")]
    private partial void LogTooManyClients(int max);

    [LoggerMessage(Level = LogLevel.Information, Message = "virtio-vsock: a host client sent '{Line}' instead of 'CONNECT <port>': closed")]
    private partial void LogBadConnectLine(string line);

    [LoggerMessage(Level = LogLevel.Information, Message = "virtio-vsock: the guest did not accept port {Port} within {Seconds} s: closed")]
    private partial void LogConnectTimedOut(uint port, double seconds);
}
