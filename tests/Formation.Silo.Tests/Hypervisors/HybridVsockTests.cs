using System.Net.Sockets;
using System.Text;
using Formation.Silo.Hypervisors.Kvm;

namespace Formation.Silo.Tests.Hypervisors;

/// <summary>
/// The host side of formation-vmm's hybrid vsock (CONNECT/OK handshake) against a Unix-socket server standing in for
/// formation-vmm. The real device lands with the vsock branch; until then this fake is the only counterpart here, and
/// the exec path is tested end to end over qemu's virtio-serial port (<c>QemuExecTests</c>).
/// </summary>
public sealed class HybridVsockTests : IDisposable
{
    private readonly TestDirectory _dir = new("vsock");

    private string Path => _dir.File("vsock.sock");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Connect_VmmAnswersOk_StreamCarriesTheConnection_AndNothingAfterTheLineIsLost()
    {
        using var listener = Listen();
        var vmm = Task.Run(async () =>
        {
            using var peer = await listener.AcceptAsync();
            var line = await ReadLineAsync(peer);
            await peer.SendAsync(Encoding.ASCII.GetBytes("OK 1073741824\nfirst bytes"));
            var echo = new byte[5];
            var got = await peer.ReceiveAsync(echo);
            return (line, Encoding.ASCII.GetString(echo, 0, got));
        });

        await using var stream = await HybridVsock.ConnectAsync(Path, 5252, TimeSpan.FromSeconds(5), CancellationToken.None);
        var buffer = new byte[11];
        var read = 0;
        while (read < buffer.Length)
        {
            read += await stream.ReadAsync(buffer.AsMemory(read));
        }

        await stream.WriteAsync("hello"u8.ToArray());
        var (sent, received) = await vmm;

        Assert.Equal("CONNECT 5252", sent);
        Assert.Equal("first bytes", Encoding.ASCII.GetString(buffer));
        Assert.Equal("hello", received);
    }

    [Fact]
    public async Task Connect_VmmClosesBecauseNothingListens_SaysTheImageMayHaveNoAgent()
    {
        using var listener = Listen();
        var vmm = Task.Run(async () =>
        {
            using var peer = await listener.AcceptAsync();
            await ReadLineAsync(peer);
            peer.Shutdown(SocketShutdown.Both);
        });

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => HybridVsock.ConnectAsync(Path, 5252, TimeSpan.FromSeconds(5), CancellationToken.None));
        await vmm;

        Assert.Contains("nothing in the guest accepted vsock port 5252", error.Message);
        Assert.Contains("rebuild", error.Message);
    }

    [Theory]
    [InlineData("ERR refused\n", "instead of 'OK <port>'")]
    [InlineData("OK notaport\n", "instead of 'OK <port>'")]
    public async Task Connect_VmmAnswersSomethingElse_SaysWhat(string answer, string expected)
    {
        using var listener = Listen();
        var vmm = Task.Run(async () =>
        {
            using var peer = await listener.AcceptAsync();
            await ReadLineAsync(peer);
            await peer.SendAsync(Encoding.ASCII.GetBytes(answer));
            await Task.Delay(500);
        });

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => HybridVsock.ConnectAsync(Path, 5252, TimeSpan.FromSeconds(5), CancellationToken.None));
        await vmm;

        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public async Task Connect_AnswerWithoutNewline_IsCutOffAtTheLimit()
    {
        using var listener = Listen();
        var vmm = Task.Run(async () =>
        {
            using var peer = await listener.AcceptAsync();
            await ReadLineAsync(peer);
            await peer.SendAsync(new byte[10_000]);
            await Task.Delay(500);
        });

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => HybridVsock.ConnectAsync(Path, 5252, TimeSpan.FromSeconds(5), CancellationToken.None));
        await vmm;

        Assert.Contains($"longer than {HybridVsock.MaxAnswerBytes} bytes", error.Message);
    }

    [Fact]
    public async Task Connect_VmmNeverAnswers_FailsAtTheTimeout()
    {
        using var listener = Listen();
        var vmm = Task.Run(async () =>
        {
            using var peer = await listener.AcceptAsync();
            await Task.Delay(2000);
        });

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => HybridVsock.ConnectAsync(Path, 5252, TimeSpan.FromMilliseconds(300), CancellationToken.None));
        await vmm;

        Assert.Contains("did not answer CONNECT 5252 within 0.3 s", error.Message);
    }

    [Fact]
    public async Task Connect_NoSocket_SaysTheVmHasNoVsockDevice()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => HybridVsock.ConnectAsync(Path, 5252, TimeSpan.FromSeconds(5), CancellationToken.None));

        Assert.Contains("the VM has no vsock device", error.Message);
    }

    private Socket Listen()
    {
        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(Path));
        listener.Listen(1);
        return listener;
    }

    private static async Task<string> ReadLineAsync(Socket peer)
    {
        var line = new StringBuilder();
        var one = new byte[1];
        while (await peer.ReceiveAsync(one) == 1 && one[0] != '\n')
        {
            line.Append((char)one[0]);
        }

        return line.ToString();
    }
}
