using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using Formation.Agent;
using Formation.Silo.Pack;
using Formation.Vms;

namespace Formation.Silo.Tests.Pack;

/// <summary>
/// The real formation-agent binary (what images carry, built by scripts/build-guest-agent) run on the host with its
/// test transports: <c>--unix</c> (served like vsock: a connection per session) and <c>--serial-unix</c> (served like
/// the virtio-serial port: one stream, sessions one after another, resync after garbage or a hang-up). The host side is
/// the silo's own <see cref="AgentClient"/>.
/// </summary>
public sealed class GuestAgentTests : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);
    private readonly TestDirectory _dir = new("agent");
    private Process? _agent;

    private string Socket => _dir.File("agent.sock");

    public async ValueTask InitializeAsync() => _agent = await StartListeningAsync(Socket);

    public async ValueTask DisposeAsync()
    {
        await StopAsync(_agent);
        _dir.Dispose();
    }

    /// <summary>The real agent serving <paramref name="socket"/> like a vsock port, once it accepts connections.</summary>
    internal static async Task<Process> StartListeningAsync(string socket)
    {
        var agent = Start("--unix", socket);
        await Eventually.HoldsAsync(() => Task.FromResult(Listens(socket)), listens => listens, TimeSpan.FromSeconds(10), "the agent listens");
        return agent;
    }

    internal static async Task StopAsync(Process? agent)
    {
        if (agent is { HasExited: false })
        {
            agent.Kill(entireProcessTree: true);
            await agent.WaitForExitAsync();
        }

        agent?.Dispose();
    }

    [Fact]
    public async Task Exec_StdoutStderrAndExitCode_ArriveApart()
    {
        var outcome = await RunAsync(new ExecRequest(["sh", "-c", "echo out; echo err >&2; exit 3"]));

        Assert.Equal(("out\n", "err\n", 3, 0), (outcome.Stdout, outcome.Stderr, outcome.Code, outcome.Signal));
    }

    [Fact]
    public async Task Exec_EnvironmentAndWorkingDirectory_AreTheRequests()
    {
        var outcome = await RunAsync(new ExecRequest(["sh", "-c", "echo \"$GREETING\"; pwd"], ["GREETING=hello there"], "/tmp"));

        Assert.Equal("hello there\n/tmp\n", outcome.Stdout);
    }

    [Fact]
    public async Task Exec_AsAnotherUser_RunsWithItsUidAndHome()
    {
        var outcome = await RunAsync(new ExecRequest(["sh", "-c", "id -u; echo $HOME $USER"], User: "nobody"));

        Assert.Equal("65534\n/nonexistent nobody\n", outcome.Stdout);
    }

    [Fact]
    public async Task Exec_UnknownUser_IsRefusedWithTheReason()
    {
        await using var client = await ConnectAsync();

        var error = await Assert.ThrowsAsync<AgentStartException>(() => client.StartAsync(new ExecRequest(["id"], User: "no-such-user"), Patience, CancellationToken.None));

        Assert.Equal(AgentErrorKind.StartFailed, error.Kind);
        Assert.Contains("no user 'no-such-user'", error.Message);
    }

    [Fact]
    public async Task Exec_MissingCommand_IsNotFound_AndADirectoryIsNotExecutable()
    {
        await using var first = await ConnectAsync();
        var missing = await Assert.ThrowsAsync<AgentStartException>(() => first.StartAsync(new ExecRequest(["no-such-command"]), Patience, CancellationToken.None));
        await using var second = await ConnectAsync();
        var directory = await Assert.ThrowsAsync<AgentStartException>(() => second.StartAsync(new ExecRequest(["/tmp"]), Patience, CancellationToken.None));

        Assert.Equal((AgentErrorKind.NotFound, 127), (missing.Kind, missing.ShellExitCode));
        Assert.Contains("no-such-command: command not found", missing.Message);
        Assert.Equal((AgentErrorKind.NotExecutable, 126), (directory.Kind, directory.ShellExitCode));
    }

    [Fact]
    public async Task Stdin_QuarterMebibyteRoundTrips_ThroughCat()
    {
        var input = new byte[256 * 1024];
        new Random(17).NextBytes(input);
        await using var client = await ConnectAsync();
        await client.StartAsync(new ExecRequest(["cat"], Stdin: true), Patience, CancellationToken.None);

        var writing = Task.Run(async () =>
        {
            await client.WriteStdinAsync(input, CancellationToken.None);
            await client.CloseStdinAsync(CancellationToken.None);
        });
        var outcome = await CollectAsync(client);
        await writing;

        Assert.Equal(0, outcome.Code);
        Assert.True(input.AsSpan().SequenceEqual(outcome.StdoutBytes), "stdin came back changed");
    }

    [Fact]
    public async Task Stdout_OneMebibyte_ArrivesIntact()
    {
        var expected = string.Concat(Enumerable.Range(1, 200_000).Select(i => i + "\n"))[..(1 << 20)];

        var outcome = await RunAsync(new ExecRequest(["sh", "-c", "seq 1 200000 | head -c 1048576"]));

        Assert.Equal(1 << 20, outcome.Stdout.Length);
        Assert.True(expected == outcome.Stdout, "the output arrived changed");
    }

    [Fact]
    public async Task Signal_EndsTheCommand_AndExitReportsIt()
    {
        await using var client = await ConnectAsync();
        await client.StartAsync(new ExecRequest(["sleep", "60"]), Patience, CancellationToken.None);

        await client.SignalAsync(15, CancellationToken.None);
        var outcome = await CollectAsync(client);

        Assert.Equal((-1, 15), (outcome.Code, outcome.Signal));
    }

    [Fact]
    public async Task Pty_CommandHasATerminal_WithTheWindowSize_AndResizeChangesIt()
    {
        await using var client = await ConnectAsync();
        await client.StartAsync(new ExecRequest(["sh", "-c", "tty; stty size; read line; stty size"], Tty: true, Stdin: true, Rows: 30, Columns: 100),
            Patience, CancellationToken.None);

        var first = await ReadUntilAsync(client, "30 100");
        await client.ResizeAsync(40, 120, CancellationToken.None);
        await client.WriteStdinAsync("go\n"u8.ToArray(), CancellationToken.None);
        var outcome = await CollectAsync(client);

        Assert.StartsWith("/dev/pts/", first);
        Assert.Contains("40 120", outcome.Stdout);
        Assert.Equal(0, outcome.Code);
    }

    [Fact]
    public async Task Exit_BackgroundChildKeepsStdoutOpen_ArrivesOnceTheOutputIsQuiet()
    {
        var clock = Stopwatch.StartNew();

        var outcome = await RunAsync(new ExecRequest(["sh", "-c", "sleep 30 & echo done"]));

        Assert.Equal(("done\n", 0), (outcome.Stdout, outcome.Code));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"EXIT took {clock.Elapsed}");
    }

    [Fact]
    public async Task HostGoesAway_MidCommand_TheCommandIsKilled()
    {
        int pid;
        await using (var client = await ConnectAsync())
        {
            pid = await client.StartAsync(new ExecRequest(["sleep", "60"]), Patience, CancellationToken.None);
            Assert.True(Alive(pid));
        }

        await Eventually.HoldsAsync(() => Task.FromResult(Alive(pid)), alive => !alive, Patience, "the command is killed when the host goes away");
    }

    [Fact]
    public async Task TwoConnections_RunTheirSessionsAtOnce()
    {
        await using var slow = await ConnectAsync();
        await slow.StartAsync(new ExecRequest(["sh", "-c", "sleep 2; echo slow"]), Patience, CancellationToken.None);

        var fast = await RunAsync(new ExecRequest(["echo", "fast"]));
        var late = await CollectAsync(slow);

        Assert.Equal(("fast\n", "slow\n"), (fast.Stdout, late.Stdout));
    }

    [Fact]
    public async Task OversizedFrameFromTheHost_IsRefused_AndAHelloAfterwardsStartsAFreshSession()
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(Socket));
        await using var stream = new NetworkStream(socket);
        var client = new AgentClient(stream);
        await client.HandshakeAsync(Patience, CancellationToken.None);

        await stream.WriteAsync(new byte[] { (byte)AgentFrameType.Stdin, 0x7f, 0xff, 0xff, 0xff, 1, 2, 3 });
        var reader = new AgentFrameReader(stream);
        var refused = await reader.ReadAsync(CancellationToken.None);
        Assert.Equal(AgentFrameType.Error, refused!.Value.Type);
        Assert.Equal(AgentErrorKind.BadRequest, AgentProtocol.ParseError(refused.Value.Payload).Kind);

        var again = new AgentClient(stream);
        await again.HandshakeAsync(Patience, CancellationToken.None);
        await again.StartAsync(new ExecRequest(["echo", "resynced"]), Patience, CancellationToken.None);
        Assert.Equal("resynced\n", (await CollectAsync(again)).Stdout);
    }

    [Fact]
    public async Task SerialPort_SessionsFollowEachOther_GarbageIsSkipped_AndAHangUpIsSurvived()
    {
        var path = _dir.File("serial.sock");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        listener.Listen(1);
        using var serial = Start("--serial-unix", path);
        try
        {
            using (var port = await listener.AcceptAsync(new CancellationTokenSource(Patience).Token))
            {
                await using var stream = new NetworkStream(port);
                Assert.Equal("one\n", (await SessionAsync(new AgentClient(stream), ["echo", "one"])).Stdout);
                byte[] garbage = [0x01, 0, 0, 0, 0x19, .. "FORMATION-AG garbage"u8, 0xff, 0xfe];
                await stream.WriteAsync(garbage);
                Assert.Equal("two\n", (await SessionAsync(new AgentClient(stream), ["echo", "two"])).Stdout);

                // Hang up in the middle of a command: the agent kills it and waits for the next host.
                var left = new AgentClient(stream);
                await left.HandshakeAsync(Patience, CancellationToken.None);
                var pid = await left.StartAsync(new ExecRequest(["sleep", "60"]), Patience, CancellationToken.None);
                port.Close();
                await Eventually.HoldsAsync(() => Task.FromResult(Alive(pid)), alive => !alive, Patience, "the hung-up session's command is killed");
            }

            using var next = await listener.AcceptAsync(new CancellationTokenSource(Patience).Token);
            await using var nextStream = new NetworkStream(next);
            Assert.Equal("three\n", (await SessionAsync(new AgentClient(nextStream), ["echo", "three"])).Stdout);
        }
        finally
        {
            serial.Kill();
            await serial.WaitForExitAsync();
        }
    }

    private sealed record Outcome(byte[] StdoutBytes, string Stderr, int Code, int Signal)
    {
        public string Stdout => Encoding.UTF8.GetString(StdoutBytes);
    }

    /// <summary>The real agent binary on this host with the given arguments (e.g. a test transport).</summary>
    internal static Process Start(params string[] args)
    {
        var binary = TestEnvironment.RequireGuestAgent();
        var info = new ProcessStartInfo(binary) { UseShellExecute = false, RedirectStandardError = false };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        return Process.Start(info)!;
    }

    private async Task<AgentClient> ConnectAsync()
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(Socket));
        var client = new AgentClient(new NetworkStream(socket, ownsSocket: true));
        await client.HandshakeAsync(Patience, CancellationToken.None);
        return client;
    }

    private async Task<Outcome> RunAsync(ExecRequest request)
    {
        await using var client = await ConnectAsync();
        await client.StartAsync(request, Patience, CancellationToken.None);
        return await CollectAsync(client);
    }

    private static async Task<Outcome> SessionAsync(AgentClient client, string[] command)
    {
        await client.HandshakeAsync(Patience, CancellationToken.None);
        await client.StartAsync(new ExecRequest(command), Patience, CancellationToken.None);
        return await CollectAsync(client);
    }

    private static async Task<Outcome> CollectAsync(AgentClient client)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var stdout = new MemoryStream();
        var stderr = new MemoryStream();
        while (true)
        {
            var frame = await client.ReadAsync(timeout.Token);
            switch (frame.Type)
            {
                case AgentFrameType.Stdout:
                    stdout.Write(frame.Payload);
                    break;
                case AgentFrameType.Stderr:
                    stderr.Write(frame.Payload);
                    break;
                case AgentFrameType.Exit:
                    var (code, signal) = AgentProtocol.ParseExit(frame.Payload);
                    return new Outcome(stdout.ToArray(), Encoding.UTF8.GetString(stderr.ToArray()), code, signal);
                default:
                    throw AgentClient.Refused(frame.Payload);
            }
        }
    }

    /// <summary>Reads output until it contains <paramref name="text"/>; returns what was read.</summary>
    private static async Task<string> ReadUntilAsync(AgentClient client, string text)
    {
        using var timeout = new CancellationTokenSource(Patience);
        var seen = new StringBuilder();
        while (!seen.ToString().Contains(text, StringComparison.Ordinal))
        {
            var frame = await client.ReadAsync(timeout.Token);
            Assert.Equal(AgentFrameType.Stdout, frame.Type);
            seen.Append(Encoding.UTF8.GetString(frame.Payload));
        }

        return seen.ToString();
    }

    /// <summary>Whether something accepts connections on <paramref name="path"/> (the file appears at bind, before listen).</summary>
    internal static bool Listens(string path)
    {
        using var probe = new System.Net.Sockets.Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            probe.Connect(new UnixDomainSocketEndPoint(path));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static bool Alive(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited && !File.ReadAllText($"/proc/{pid}/stat").Contains(") Z ", StringComparison.Ordinal);
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or IOException)
        {
            return false;
        }
    }
}
