using System.Buffers.Binary;
using System.Net.Sockets;

namespace Formation.Silo.LocalApi;

/// <summary>Who is at the other end of a Unix socket (SO_PEERCRED: the kernel's word, not the peer's).</summary>
internal static class PeerCredentials
{
    private const int SolSocket = 1;
    private const int SoPeerCred = 17;

    /// <summary>The peer's uid; -1 when the kernel gives none (never for a connected Unix stream socket).</summary>
    public static long Uid(Socket socket)
    {
        Span<byte> ucred = stackalloc byte[12]; // struct ucred { pid_t pid; uid_t uid; gid_t gid; }
        var length = socket.GetRawSocketOption(SolSocket, SoPeerCred, ucred);
        return length >= 8 ? BinaryPrimitives.ReadUInt32LittleEndian(ucred[4..8]) : -1;
    }
}
