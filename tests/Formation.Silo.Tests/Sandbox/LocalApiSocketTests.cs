using System.Net.Sockets;
using System.Text;
using Formation.Silo.LocalApi;
using Microsoft.Extensions.Logging.Abstractions;

namespace Formation.Silo.Tests.Sandbox;

/// <summary>
/// Finding 9: the local API socket's folder is private before the socket exists, and even a peer that can reach the
/// socket (a run directory someone loosened) is refused by SO_PEERCRED unless it is root or the silo's own uid.
/// </summary>
public sealed class LocalApiSocketTests : IAsyncDisposable
{
    private readonly TestDirectory _run = new("sb-run");
    private readonly LocalApiServer _server;
    private readonly string _socket;

    public LocalApiSocketTests()
    {
        _socket = Path.Combine(_run.Path, "api", "api-1.sock");
        _server = new LocalApiServer(null!, _socket, NullLogger<LocalApiServer>.Instance); // refused peers never reach a grain
    }

    [Fact]
    public async Task Start_MakesTheSocketFolderPrivateBeforeBinding()
    {
        await _server.StartAsync();

        Assert.True(Path.Exists(_socket), "the socket is bound");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(_socket)!));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(_socket));
    }

    [Fact]
    public async Task OtherUser_ReachingTheSocket_IsRefusedByPeerCredentials()
    {
        Prerequisites.Require(Environment.UserName == "root", "the test switches to uid 65534 with setpriv, which needs root");
        await _server.StartAsync();
        // As if the operator had opened the folder and socket to everyone: the kernel-checked peer uid still decides.
        File.SetUnixFileMode(_run.Path, (UnixFileMode)0b111_101_101);
        File.SetUnixFileMode(Path.GetDirectoryName(_socket)!, (UnixFileMode)0b111_101_101);
        File.SetUnixFileMode(_socket, (UnixFileMode)0b110_110_110);

        var reply = await SandboxedBuild.RunAsync("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--", "perl", "-MIO::Socket::UNIX", "-e",
            "my $s = IO::Socket::UNIX->new(Peer => $ARGV[0]) or die \"connect: $!\\n\"; print $s qq({\"query\":\"vms\"}\\n); print while <$s>;", _socket);

        Assert.Contains("uid 65534 may not use", string.Join('\n', reply));
    }

    [Fact]
    public async Task Root_IsServed()
    {
        await _server.StartAsync();
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(_socket), TestContext.Current.CancellationToken);
        await using var stream = new NetworkStream(socket);
        await stream.WriteAsync(Encoding.UTF8.GetBytes("not json\n"), TestContext.Current.CancellationToken);

        var reply = await new StreamReader(stream).ReadToEndAsync(TestContext.Current.CancellationToken);

        Assert.Contains("\"kind\":\"InvalidArgument\"", reply);
        Assert.DoesNotContain("may not use", reply);
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        _run.Dispose();
    }
}
