using System.Buffers.Text;
using System.Net.Sockets;
using System.Text;

namespace Formation.Vmm.Protocol;

/// <summary>
/// The host side of formation-vmm's virtio-vsock device, as Firecracker does it ("hybrid vsock"): a host process connects
/// to the device's Unix socket (<see cref="VsockConfig.Socket"/>) and writes <c>CONNECT &lt;port&gt;\n</c>; formation-vmm
/// asks the guest for a connection to that vsock port and answers <c>OK &lt;host-port&gt;\n</c> once the guest accepted it,
/// or closes the socket when the guest refuses, nothing listens there or it does not answer in time. From then on the
/// socket is the raw byte stream of that vsock connection (half-closes pass through). Both ends use these methods.
/// </summary>
public static class HybridVsock
{
    /// <summary>The longest Unix socket path (sun_path holds 108 bytes with the terminating zero).</summary>
    public const int MaxSocketPathBytes = 107;

    /// <summary>The longest handshake line either end accepts, newline included.</summary>
    public const int MaxLineBytes = 32;

    private static ReadOnlySpan<byte> ConnectPrefix => "CONNECT "u8;

    private static ReadOnlySpan<byte> OkPrefix => "OK "u8;

    public static byte[] ConnectLine(uint port) => Encoding.ASCII.GetBytes($"CONNECT {port}\n");

    public static byte[] OkLine(uint hostPort) => Encoding.ASCII.GetBytes($"OK {hostPort}\n");

    /// <summary>Parses a <c>CONNECT &lt;port&gt;</c> line (without its newline).</summary>
    public static bool TryParseConnect(ReadOnlySpan<byte> line, out uint port) => TryParse(line, ConnectPrefix, out port);

    /// <summary>Parses an <c>OK &lt;host-port&gt;</c> line (without its newline).</summary>
    public static bool TryParseOk(ReadOnlySpan<byte> line, out uint hostPort) => TryParse(line, OkPrefix, out hostPort);

    /// <summary>
    /// Connects to vsock <paramref name="port"/> of the guest behind <paramref name="socket"/>; the stream is the connection.
    /// Throws <see cref="IOException"/> saying why when the guest did not accept.
    /// </summary>
    public static async Task<Stream> ConnectAsync(string socket, uint port, CancellationToken cancellationToken)
    {
        var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            try
            {
                await s.ConnectAsync(new UnixDomainSocketEndPoint(socket), cancellationToken).ConfigureAwait(false);
            }
            catch (SocketException e)
            {
                throw new IOException($"cannot reach the VM's vsock socket {socket}: {e.Message} (is the VM running with a vsock device?)", e);
            }

            var line = new byte[MaxLineBytes];
            var length = 0;
            try
            {
                await s.SendAsync(ConnectLine(port), cancellationToken).ConfigureAwait(false);
                while (true)
                {
                    // One byte at a time: the guest's first bytes follow the line and belong to the caller's stream.
                    if (await s.ReceiveAsync(line.AsMemory(length, 1), cancellationToken).ConfigureAwait(false) == 0)
                    {
                        throw Refused(port, null);
                    }

                    if (line[length] == (byte)'\n')
                    {
                        break;
                    }

                    if (++length == line.Length)
                    {
                        throw new IOException($"formation-vmm's vsock handshake line is longer than {MaxLineBytes} bytes");
                    }
                }
            }
            catch (SocketException e)
            {
                throw Refused(port, e);
            }

            if (!TryParseOk(line.AsSpan(0, length), out _))
            {
                throw new IOException($"formation-vmm answered '{Encoding.ASCII.GetString(line, 0, length)}' instead of 'OK <port>' to CONNECT {port}");
            }

            return new NetworkStream(s, ownsSocket: true);
        }
        catch
        {
            s.Dispose();
            throw;
        }
    }

    private static IOException Refused(uint port, Exception? inner) =>
        new($"the guest did not accept vsock port {port}: nothing listens there, it refused, it did not answer in time, or formation-vmm has all the connections it takes", inner);

    private static bool TryParse(ReadOnlySpan<byte> line, ReadOnlySpan<byte> prefix, out uint value)
    {
        value = 0;
        if (line.Length > 0 && line[^1] == (byte)'\r')
        {
            line = line[..^1];
        }

        if (!line.StartsWith(prefix))
        {
            return false;
        }

        var digits = line[prefix.Length..];
        if (digits.Length is 0 or > 10)
        {
            return false;
        }

        foreach (var b in digits)
        {
            if (b is < (byte)'0' or > (byte)'9')
            {
                return false;
            }
        }

        return Utf8Parser.TryParse(digits, out value, out var consumed) && consumed == digits.Length;
    }
}
