using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace Formation.Silo.Hypervisors.Kvm;

/// <summary>
/// The host side of formation-vmm's virtio-vsock device, as Firecracker does it: connect to the VM's Unix socket
/// (<see cref="VmDirectory.VsockSocket"/>), write <c>CONNECT &lt;port&gt;\n</c>, and formation-vmm answers
/// <c>OK &lt;host-port&gt;\n</c> once the guest accepted (or closes the socket when nothing listens); from then on the
/// socket is the raw byte stream of that vsock connection.
/// </summary>
public static class HybridVsock
{
    /// <summary>The answer line is short; a longer one is not formation-vmm's.</summary>
    public const int MaxAnswerBytes = 64;

    /// <summary>Connects to <paramref name="port"/> in the guest; throws with the reason when it cannot.</summary>
    public static async Task<Stream> ConnectAsync(string socketPath, int port, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            try
            {
                await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), deadline.Token);
            }
            catch (SocketException ex)
            {
                throw new InvalidOperationException(
                    $"the VM has no vsock device ({ex.Message} at {socketPath}); it was started before Formation had exec: restart the VM.", ex);
            }

            var stream = new NetworkStream(socket, ownsSocket: true);
            await stream.WriteAsync(Encoding.ASCII.GetBytes($"CONNECT {port.ToString(CultureInfo.InvariantCulture)}\n"), deadline.Token);
            var line = await ReadLineAsync(stream, deadline.Token)
                ?? throw new InvalidOperationException(
                    $"nothing in the guest accepted vsock port {port} (the image may have no guest agent: rebuild it so its base layer carries one).");
            if (!line.StartsWith("OK ", StringComparison.Ordinal) || !uint.TryParse(line.AsSpan(3), NumberStyles.None, CultureInfo.InvariantCulture, out _))
            {
                throw new InvalidOperationException($"formation-vmm answered CONNECT {port} with '{Printable(line)}' instead of 'OK <port>'.");
            }

            return stream;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            socket.Dispose();
            throw new InvalidOperationException($"formation-vmm did not answer CONNECT {port} within {timeout.TotalSeconds:0.#} s.");
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>One line, read a byte at a time so nothing after it is taken from the stream; null when it closes first.</summary>
    private static async Task<string?> ReadLineAsync(Stream stream, CancellationToken cancellationToken)
    {
        var line = new byte[MaxAnswerBytes];
        var one = new byte[1];
        for (var length = 0; length < line.Length; length++)
        {
            if (await stream.ReadAsync(one, cancellationToken) == 0)
            {
                return null;
            }

            if (one[0] == (byte)'\n')
            {
                return Encoding.ASCII.GetString(line, 0, length);
            }

            line[length] = one[0];
        }

        throw new InvalidOperationException($"formation-vmm's answer to CONNECT is longer than {MaxAnswerBytes} bytes.");
    }

    private static string Printable(string text) => new(text.Select(c => char.IsControl(c) ? '?' : c).ToArray());
}
