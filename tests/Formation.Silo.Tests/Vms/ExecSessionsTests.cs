using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using Formation.Errors;
using Formation.Silo.Hypervisors;
using Formation.Silo.Tests.Pack;
using Formation.Silo.Vms;
using Formation.Vms;
using Microsoft.Extensions.Logging.Abstractions;

namespace Formation.Silo.Tests.Vms;

/// <summary>
/// The node's exec sessions over the real formation-agent (run on the host with its <c>--unix</c> transport); the VM
/// process is a stand-in whose agent stream is a connection to that agent. The driver's own agent streams are tested
/// for real in <c>Deploy/QemuExecTests</c> (qemu) and <c>HybridVsockClientTests</c> in the Kvm.Native tests (formation-vmm's handshake).
/// </summary>
public sealed class ExecSessionsTests : IAsyncLifetime
{
    private readonly TestDirectory _dir = new("exec-sessions");
    private System.Diagnostics.Process? _agent;

    private string AgentSocket => _dir.File("agent.sock");

    public async ValueTask InitializeAsync() => _agent = await GuestAgentTests.StartListeningAsync(AgentSocket);

    public async ValueTask DisposeAsync()
    {
        await GuestAgentTests.StopAsync(_agent);
        _dir.Dispose();
    }

    [Fact]
    public async Task Start_VmNotRunning_PassesOnTheReason()
    {
        await using var sessions = Sessions((_, _) => throw FormationException.Conflict("VM vm-1 is not running: start it"));

        var error = await Assert.ThrowsAsync<FormationException>(() => sessions.StartExecAsync("vm-1", new ExecRequest(["true"]), CancellationToken.None));

        Assert.Contains("is not running", error.Message);
    }

    [Fact]
    public async Task Start_AgentPortMissing_SaysTheAgentCannotBeReached()
    {
        await using var sessions = Sessions(Running(_ => throw new InvalidOperationException("the VM has no guest agent port")));

        var error = await Assert.ThrowsAsync<FormationException>(() => sessions.StartExecAsync("vm-1", new ExecRequest(["true"]), CancellationToken.None));

        Assert.Equal(ErrorKind.HostFailure, error.Kind);
        Assert.Contains("cannot reach the guest agent of VM vm-1: the VM has no guest agent port", error.Message);
    }

    [Fact]
    public async Task Start_GuestWithoutAgent_FailsAfterTheAgentTimeout_SayingToRebuildTheImage()
    {
        var silent = _dir.File("silent.sock");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(silent));
        listener.Listen(1); // accepts (like qemu's chardev) but nothing in the guest ever answers
        await using var sessions = Sessions(Running(ct => ConnectAsync(silent, ct)), agentTimeout: TimeSpan.FromMilliseconds(500));
        var clock = Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<FormationException>(() => sessions.StartExecAsync("vm-1", new ExecRequest(["true"]), CancellationToken.None));

        Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(400), TimeSpan.FromSeconds(10));
        Assert.Contains("did not answer within 0.5 s", error.Message);
        Assert.Contains("rebuild it", error.Message);
    }

    [Fact]
    public async Task Start_MissingCommand_GivesASessionWhoseResultIs127WithTheReason()
    {
        await using var sessions = Sessions(Running(ct => ConnectAsync(AgentSocket, ct)));

        var session = await sessions.StartExecAsync("vm-1", new ExecRequest(["no-such-command"]), CancellationToken.None);
        var output = await sessions.ReadExecAsync("vm-1", session, TimeSpan.FromSeconds(5), CancellationToken.None);

        Assert.Equal(127, output.Result?.ExitCode);
        Assert.Contains("no-such-command: command not found", output.Result?.Error);
        Assert.Equal(0, sessions.Count);
    }

    [Fact]
    public async Task Read_LargeOutput_ComesInBoundedChunks_AndTheResultOnlyWithTheLastByte()
    {
        await using var sessions = Sessions(Running(ct => ConnectAsync(AgentSocket, ct)));
        var session = await sessions.StartExecAsync("vm-1", new ExecRequest(["sh", "-c", "head -c 3000000 /dev/zero; exit 4"]), CancellationToken.None);

        var total = 0L;
        ExecResult? result = null;
        while (result is null)
        {
            var output = await sessions.ReadExecAsync("vm-1", session, TimeSpan.FromSeconds(5), CancellationToken.None);
            Assert.InRange(output.Stdout.Length, 0, ExecSession.MaxReadBytes);
            total += output.Stdout.Length;
            result = output.Result;
            Assert.True(result is null || total == 3_000_000, $"the result came with {total} of 3000000 bytes read");
        }

        Assert.Equal(4, result.ExitCode);
    }

    [Fact]
    public async Task UnreadOutput_StopsTheCommandAtTheBufferLimit_AndReadingLetsItFinish()
    {
        await using var sessions = Sessions(Running(ct => ConnectAsync(AgentSocket, ct)));
        var size = 4 * ExecSession.MaxBufferedBytes;
        var session = await sessions.StartExecAsync("vm-1",
            new ExecRequest(["sh", "-c", $"head -c {size} /dev/zero; echo finished >&2"]), CancellationToken.None);

        await Task.Delay(2000, TestContext.Current.CancellationToken);
        var first = await sessions.ReadExecAsync("vm-1", session, TimeSpan.Zero, CancellationToken.None);
        Assert.True(first.Stderr.Length == 0 && first.Result is null, "the command ran to its end with nobody reading its output");

        var total = (long)first.Stdout.Length;
        var stderr = new StringBuilder();
        ExecResult? result = null;
        while (result is null)
        {
            var output = await sessions.ReadExecAsync("vm-1", session, TimeSpan.FromSeconds(5), CancellationToken.None);
            total += output.Stdout.Length;
            stderr.Append(Encoding.UTF8.GetString(output.Stderr));
            result = output.Result;
        }

        Assert.Equal((size, "finished\n", 0), (total, stderr.ToString(), result.ExitCode));
    }

    [Fact]
    public async Task SessionNobodyReads_IsEndedAfterTheIdleTimeout_AndItsCommandKilled()
    {
        await using var sessions = Sessions(Running(ct => ConnectAsync(AgentSocket, ct)), idle: TimeSpan.FromSeconds(1));
        var session = await sessions.StartExecAsync("vm-1", new ExecRequest(["sh", "-c", "echo $$; exec sleep 60"]), CancellationToken.None);
        var pid = int.Parse(Encoding.ASCII.GetString((await sessions.ReadExecAsync("vm-1", session, TimeSpan.FromSeconds(5), CancellationToken.None)).Stdout).Trim(),
            System.Globalization.CultureInfo.InvariantCulture);

        await Eventually.HoldsAsync(() => Task.FromResult(sessions.Count), count => count == 0, TimeSpan.FromSeconds(10), "the idle session is ended");
        await Eventually.HoldsAsync(() => Task.FromResult(Directory.Exists($"/proc/{pid}")), exists => !exists, TimeSpan.FromSeconds(10), "its command is killed");
        var error = await Assert.ThrowsAsync<FormationException>(() => sessions.ReadExecAsync("vm-1", session, TimeSpan.Zero, CancellationToken.None));
        Assert.Equal(ErrorKind.NotFound, error.Kind);
    }

    [Fact]
    public async Task Session_OfAnotherVm_IsNotFound()
    {
        await using var sessions = Sessions(Running(ct => ConnectAsync(AgentSocket, ct)));
        var session = await sessions.StartExecAsync("vm-1", new ExecRequest(["sleep", "5"]), CancellationToken.None);

        await Assert.ThrowsAsync<FormationException>(() => sessions.ReadExecAsync("vm-2", session, TimeSpan.Zero, CancellationToken.None));
        await Assert.ThrowsAsync<FormationException>(() => sessions.WriteExecAsync("vm-2", session, "x"u8.ToArray(), CancellationToken.None));
    }

    private static ExecSessions Sessions(Func<string, CancellationToken, Task<IVmProcess>> running, TimeSpan? agentTimeout = null, TimeSpan? idle = null) =>
        new(running, new VmRuntimeOptions { AgentTimeout = agentTimeout ?? TimeSpan.FromSeconds(10), ExecIdleTimeout = idle ?? TimeSpan.FromMinutes(1) },
            NullLogger.Instance);

    private static Func<string, CancellationToken, Task<IVmProcess>> Running(Func<CancellationToken, Task<Stream>> open) =>
        (_, _) => Task.FromResult<IVmProcess>(new AgentOnlyProcess(open));

    private static async Task<Stream> ConnectAsync(string path, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), cancellationToken);
        return new NetworkStream(socket, ownsSocket: true);
    }

    /// <summary>A VM process that has only an agent stream.</summary>
    private sealed class AgentOnlyProcess(Func<CancellationToken, Task<Stream>> open) : IVmProcess
    {
        public int Pid => 0;

        public Task<VmExit> Exited => new TaskCompletionSource<VmExit>().Task;

        public Task<Stream> OpenAgentAsync(CancellationToken cancellationToken) => open(cancellationToken);

        public Task<bool> IsPausedAsync(CancellationToken cancellationToken) => Task.FromResult(false);

        public Task PauseAsync(CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task ResumeAsync(CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<VmExit> ShutdownAsync(TimeSpan deadline, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<VmExit> KillAsync(CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task WriteConsoleAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task SnapshotAsync(string directory, CancellationToken cancellationToken) => throw new NotSupportedException();

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
