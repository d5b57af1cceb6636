using System.Text.Json.Serialization;

namespace Formation.Vmm.Protocol;

/// <summary>
/// A virtio-vsock device (<c>{"guestCid":3,"socket":"vsock.sock"}</c> in vmm.json): the guest's context id and the Unix
/// socket of its hybrid host side (<see cref="HybridVsock"/>: a host client connects, writes <c>CONNECT &lt;port&gt;\n</c>
/// and gets <c>OK &lt;host-port&gt;\n</c> once the guest accepted).
/// </summary>
/// <param name="GuestCid">3 to 4294967294 (0-2 are reserved, 2 is the host, 0xffffffff means any).</param>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record VsockConfig(ulong GuestCid, string Socket)
{
    public const ulong MinGuestCid = 3, MaxGuestCid = 0xffff_fffe;

    /// <summary>What is wrong with this config (a sentence), or null.</summary>
    public string? Problem() =>
        GuestCid is < MinGuestCid or > MaxGuestCid
            ? $"guestCid must be between {MinGuestCid} and {MaxGuestCid} (got {GuestCid}); 3 is the usual one"
            : string.IsNullOrEmpty(Socket)
                ? "socket must name the Unix socket of the hybrid vsock host side"
                : System.Text.Encoding.UTF8.GetByteCount(Socket) > HybridVsock.MaxSocketPathBytes
                    ? $"socket path {Socket} is longer than the {HybridVsock.MaxSocketPathBytes} bytes a Unix socket address holds; use a shorter one"
                    : null;
}
