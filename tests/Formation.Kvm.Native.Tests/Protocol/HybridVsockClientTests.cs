using System.Net.Sockets;
using System.Text;
using Formation.Kvm.Native.Tests.Support;

namespace Formation.Kvm.Native.Tests.Protocol;

/// <summary>
/// The client side of the hybrid vsock handshake (what the silo's kvm driver uses to reach the guest agent) against a
/// Unix-socket server that answers as formation-vmm would, or as a broken or hostile one would.
/// </summary>
public sealed class HybridVsockClientTests : IDisposable
{
    private readonly Tools.TempDir _dir = Tools.CreateTempDir();

    private string SocketPath => Path.Combine(_dir.Path, "vsock.sock");

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Connect_VmmAnswersOk_StreamCarriesTheConnection_AndNothingAfterTheLineIsLost()
    {
        using var listener = Listen();
        var vmm = Task.Run(async () =>
        {
            using var peer = await listener.AcceptAsync(Token);
            var line = await ReadLineAsync(peer);
            await peer.SendAsync(Encoding.ASCII.GetBytes("OK 1073741824\nfirst bytes"), Token);
            var echo = new byte[5];
            var got = await peer.ReceiveAsync(echo, Token);
            return (line, Encoding.ASCII.GetString(echo, 0, got));
        }, Token);

        await using var stream = await HybridVsock.ConnectAsync(SocketPath, 5252, Token);
        var buffer = new byte[11];
        await stream.ReadExactlyAsync(buffer, Token);
        await stream.WriteAsync("hello"u8.ToArray(), Token);
        var (sent, received) = await vmm;

        Assert.Equal("CONNECT 5252", sent);
        Assert.Equal("first bytes", Encoding.ASCII.GetString(buffer));
        Assert.Equal("hello", received);
    }

    [Fact]
    public async Task Connect_VmmClosesBecauseNothingListens_SaysTheGuestDidNotAccept()
    {
        using var listener = Listen();
        var vmm = Task.Run(async () =>
        {
            using var peer = await listener.AcceptAsync(Token);
            await ReadLineAsync(peer);
            peer.Shutdown(SocketShutdown.Both);
        }, Token);

        var error = await Assert.ThrowsAsync<IOException>(() => HybridVsock.ConnectAsync(SocketPath, 5252, Token));
        await vmm;

        Assert.Contains("the guest did not accept vsock port 5252", error.Message);
    }

    [Theory]
    [InlineData("ERR refused\n")]
    [InlineData("OK notaport\n")]
    public async Task Connect_VmmAnswersSomethingElse_SaysWhat(string answer)
    {
        using var listener = Listen();
        var vmm = Task.Run(async () =>
        {
            using var peer = await listener.AcceptAsync(Token);
            await ReadLineAsync(peer);
            await peer.SendAsync(Encoding.ASCII.GetBytes(answer), Token);
            await Task.Delay(500, Token);
        }, Token);

        var error = await Assert.ThrowsAsync<IOException>(() => HybridVsock.ConnectAsync(SocketPath, 5252, Token));
        await vmm;

        Assert.Contains($"'{answer.TrimEnd('\n')}' instead of 'OK <port>'", error.Message);
    }

    [Fact]
    public async Task Connect_AnswerWithoutNewline_IsCutOffAtTheLimit()
    {
        using var listener = Listen();
        var vmm = Task.Run(async () =>
        {
            using var peer = await listener.AcceptAsync(Token);
            await ReadLineAsync(peer);
            await peer.SendAsync(new byte[10_000], Token);
            await Task.Delay(500, Token);
        }, Token);

        var error = await Assert.ThrowsAsync<IOException>(() => HybridVsock.ConnectAsync(SocketPath, 5252, Token));
        await vmm;

        Assert.Contains($"longer than {HybridVsock.MaxLineBytes} bytes", error.Message);
    }

    [Fact]
    public async Task Connect_VmmNeverAnswers_EndsWithTheCallersToken()
    {
        using var listener = Listen();
        var vmm = Task.Run(async () =>
        {
            using var peer = await listener.AcceptAsync(Token);
            await Task.Delay(2000, Token);
        }, Token);

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(Token);
        deadline.CancelAfter(TimeSpan.FromMilliseconds(300));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => HybridVsock.ConnectAsync(SocketPath, 5252, deadline.Token));
        await vmm;
    }

    private Socket Listen()
    {
        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(SocketPath));
        listener.Listen(1);
        return listener;
    }

    private static async Task<string> ReadLineAsync(Socket peer)
    {
        var line = new StringBuilder();
        var one = new byte[1];
        while (await peer.ReceiveAsync(one, Token) == 1 && one[0] != '\n')
        {
            line.Append((char)one[0]);
        }

        return line.ToString();
    }
}
