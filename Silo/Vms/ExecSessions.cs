using System.Collections.Concurrent;
using Formation.Agent;
using Formation.Errors;
using Formation.Grains.Hosting;
using Formation.Silo.Hypervisors;
using Formation.Vms;

namespace Formation.Silo.Vms;

/// <summary>
/// This node's exec sessions (<c>form vm exec</c>): opens the VM's agent stream through its driver
/// (<see cref="IVmProcess.OpenAgentAsync"/>), does the handshake, starts the command and keeps the session until its
/// result has been read. A session no client has touched for <see cref="VmRuntimeOptions.ExecIdleTimeout"/> is ended
/// (its command killed), so a client that vanished leaves nothing behind.
/// </summary>
public sealed partial class ExecSessions : IVmExecHost, IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, ExecSession> _sessions = new(StringComparer.Ordinal);
    private readonly Func<string, CancellationToken, Task<IVmProcess>> _running;
    private readonly VmRuntimeOptions _options;
    private readonly ILogger _logger;
    private readonly Timer _sweeper;

    /// <param name="running">The VM's process if the VM is running (and not paused); otherwise throws with what to do.</param>
    public ExecSessions(Func<string, CancellationToken, Task<IVmProcess>> running, VmRuntimeOptions options, ILogger logger)
    {
        _running = running;
        _options = options;
        _logger = logger;
        var every = TimeSpan.FromTicks(Math.Max(TimeSpan.FromMilliseconds(100).Ticks, options.ExecIdleTimeout.Ticks / 4));
        _sweeper = new Timer(_ => _ = SweepAsync(), null, every, every);
    }

    /// <summary>Sessions held now (tests and metrics).</summary>
    public int Count => _sessions.Count;

    public async Task<string> StartExecAsync(string vmId, ExecRequest request, CancellationToken cancellationToken)
    {
        var process = await _running(vmId, cancellationToken);
        Stream stream;
        try
        {
            stream = await process.OpenAgentAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is InvalidOperationException or IOException or System.Net.Sockets.SocketException)
        {
            throw new FormationException(ErrorKind.HostFailure, $"cannot reach the guest agent of VM {vmId}: {ex.Message}");
        }

        var agent = new AgentClient(stream);
        ExecSession session;
        try
        {
            await agent.HandshakeAsync(_options.AgentTimeout, cancellationToken);
            var pid = await agent.StartAsync(request, _options.AgentTimeout, cancellationToken);
            session = ExecSession.Running(vmId, agent);
            LogStarted(vmId, session.Id, request.Command[0], pid);
        }
        catch (AgentStartException refused)
        {
            await agent.DisposeAsync();
            session = ExecSession.Finished(vmId, new ExecResult(refused.ShellExitCode, Error: refused.Message));
        }
        catch (Exception ex) when (ex is AgentProtocolException or IOException)
        {
            await agent.DisposeAsync();
            throw new FormationException(ErrorKind.HostFailure,
                $"the guest agent of VM {vmId} did not answer: {ex.Message} An image built before Formation had exec has no agent: " +
                "rebuild it (form pack build) and recreate the VM. Otherwise the guest may still be starting, or be overloaded.");
        }
        catch
        {
            await agent.DisposeAsync();
            throw;
        }

        _sessions[session.Id] = session;
        return session.Id;
    }

    public async Task<ExecOutput> ReadExecAsync(string vmId, string session, TimeSpan wait, CancellationToken cancellationToken)
    {
        var found = Get(vmId, session);
        var output = await found.ReadAsync(wait, cancellationToken);
        if (output.Result is { } result)
        {
            LogEnded(vmId, session, result.ExitCode);
            await EndAsync(session);
        }

        return output;
    }

    public Task WriteExecAsync(string vmId, string session, ReadOnlyMemory<byte> data, CancellationToken cancellationToken) =>
        Guard(Get(vmId, session).WriteAsync(data, cancellationToken), session);

    public Task ResizeExecAsync(string vmId, string session, int rows, int columns, CancellationToken cancellationToken) =>
        Guard(Get(vmId, session).ResizeAsync(rows, columns, cancellationToken), session);

    public Task SignalExecAsync(string vmId, string session, int signal, CancellationToken cancellationToken) =>
        Guard(Get(vmId, session).SignalAsync(signal, cancellationToken), session);

    public Task EndExecAsync(string vmId, string session, CancellationToken cancellationToken) =>
        _sessions.TryGetValue(session, out var found) && found.VmId == vmId ? EndAsync(session) : Task.CompletedTask;

    /// <summary>Ends every session of a VM (it stopped or was deleted).</summary>
    public async Task EndAllAsync(string vmId)
    {
        foreach (var session in _sessions.Values.Where(s => s.VmId == vmId).ToList())
        {
            await EndAsync(session.Id);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _sweeper.DisposeAsync();
        foreach (var id in _sessions.Keys.ToList())
        {
            await EndAsync(id);
        }
    }

    private ExecSession Get(string vmId, string session) =>
        _sessions.TryGetValue(session, out var found) && found.VmId == vmId ? found
            : throw FormationException.NotFound($"VM {vmId} has no exec session {session} (it ended, or nobody read it for {_options.ExecIdleTimeout.TotalSeconds:0} s).");

    /// <summary>A write to an agent stream that broke is the session's end, said as such.</summary>
    private static async Task Guard(Task write, string session)
    {
        try
        {
            await write;
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or System.Net.Sockets.SocketException)
        {
            throw FormationException.Conflict($"exec session {session} is over: the guest agent's stream closed ({ex.Message}).");
        }
    }

    private async Task EndAsync(string session)
    {
        if (_sessions.TryRemove(session, out var found))
        {
            await found.DisposeAsync();
        }
    }

    private async Task SweepAsync()
    {
        var idle = DateTime.UtcNow.Ticks - _options.ExecIdleTimeout.Ticks;
        foreach (var session in _sessions.Values.Where(s => s.TouchedTicks < idle).ToList())
        {
            LogAbandoned(session.VmId, session.Id);
            await EndAsync(session.Id);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "VM {VmId}: exec session {Session} started {Command} (guest pid {Pid})")]
    private partial void LogStarted(string vmId, string session, string command, int pid);

    [LoggerMessage(Level = LogLevel.Information, Message = "VM {VmId}: exec session {Session} ended with {ExitCode}")]
    private partial void LogEnded(string vmId, string session, int exitCode);

    [LoggerMessage(Level = LogLevel.Warning, Message = "VM {VmId}: exec session {Session} was not read for too long; ended it")]
    private partial void LogAbandoned(string vmId, string session);
}
