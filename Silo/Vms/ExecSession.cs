using Formation.Agent;
using Formation.Vms;

namespace Formation.Silo.Vms;

/// <summary>
/// One running exec session on this node: the agent stream, the output not yet read (bounded: when
/// <see cref="MaxBufferedBytes"/> wait unread, the session stops reading from the agent, which stops the command at
/// its next write), and the result once the command has ended.
/// </summary>
internal sealed class ExecSession : IAsyncDisposable
{
    /// <summary>Output kept for a slow reader before the agent is made to wait.</summary>
    public const int MaxBufferedBytes = 4 * 1024 * 1024;

    /// <summary>The most of each stream one read returns.</summary>
    public const int MaxReadBytes = 256 * 1024;

    private readonly object _lock = new();
    private readonly Queue<byte[]> _stdout = new();
    private readonly Queue<byte[]> _stderr = new();
    private readonly CancellationTokenSource _ending = new();
    private readonly AgentClient? _agent;
    private TaskCompletionSource _changed = NewSignal();
    private int _buffered;
    private ExecResult? _result;
    private Task _pump = Task.CompletedTask;

    private ExecSession(string id, string vmId, AgentClient? agent, ExecResult? result)
    {
        Id = id;
        VmId = vmId;
        _agent = agent;
        _result = result;
        Touch();
    }

    public string Id { get; }

    public string VmId { get; }

    /// <summary>When a client last called about this session (UTC ticks).</summary>
    public long TouchedTicks { get; private set; }

    /// <summary>Whether the result was handed to a reader (the session can go).</summary>
    public bool Delivered { get; private set; }

    /// <summary>A session whose command runs; its output is pumped from the agent until EXIT.</summary>
    public static ExecSession Running(string vmId, AgentClient agent)
    {
        var session = new ExecSession(NewId(), vmId, agent, null);
        session._pump = Task.Run(session.PumpAsync);
        return session;
    }

    /// <summary>A session that is over before it began (the agent could not start the command).</summary>
    public static ExecSession Finished(string vmId, ExecResult result) => new(NewId(), vmId, null, result);

    public void Touch() => TouchedTicks = DateTime.UtcNow.Ticks;

    public async Task<ExecOutput> ReadAsync(TimeSpan wait, CancellationToken cancellationToken)
    {
        Touch();
        var deadline = DateTime.UtcNow + wait;
        while (true)
        {
            Task changed;
            lock (_lock)
            {
                if (_stdout.Count > 0 || _stderr.Count > 0 || _result is not null || DateTime.UtcNow >= deadline)
                {
                    var stdout = Take(_stdout);
                    var stderr = Take(_stderr);
                    var result = _stdout.Count == 0 && _stderr.Count == 0 ? _result : null; // the result only after every byte
                    Delivered |= result is not null;
                    Signal();
                    return new ExecOutput(stdout, stderr, result);
                }

                changed = _changed.Task;
            }

            var left = deadline - DateTime.UtcNow;
            if (left > TimeSpan.Zero)
            {
                await Task.WhenAny(changed, Task.Delay(left, cancellationToken));
            }
        }
    }

    public Task WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        Touch();
        var agent = Agent();
        return data.IsEmpty ? agent.CloseStdinAsync(cancellationToken) : agent.WriteStdinAsync(data, cancellationToken);
    }

    public Task ResizeAsync(int rows, int columns, CancellationToken cancellationToken)
    {
        Touch();
        return Agent().ResizeAsync(rows, columns, cancellationToken);
    }

    public Task SignalAsync(int signal, CancellationToken cancellationToken)
    {
        Touch();
        return Agent().SignalAsync(signal, cancellationToken);
    }

    /// <summary>Closes the agent stream (the agent kills the command) and stops the pump.</summary>
    public async ValueTask DisposeAsync()
    {
        await _ending.CancelAsync();
        if (_agent is not null)
        {
            await _agent.DisposeAsync();
        }

        await _pump;
        _ending.Dispose();
    }

    private AgentClient Agent()
    {
        lock (_lock)
        {
            if (_agent is null || _result is not null)
            {
                throw Formation.Errors.FormationException.Conflict($"exec session {Id} is over: its command has ended.");
            }
        }

        return _agent;
    }

    private async Task PumpAsync()
    {
        ExecResult result;
        try
        {
            while (true)
            {
                var frame = await _agent!.ReadAsync(_ending.Token);
                if (frame.Type == AgentFrameType.Exit)
                {
                    var (code, signal) = AgentProtocol.ParseExit(frame.Payload);
                    result = signal > 0 ? new ExecResult(128 + signal, signal) : new ExecResult(code);
                    break;
                }

                if (frame.Type == AgentFrameType.Error)
                {
                    var refused = AgentClient.Refused(frame.Payload);
                    result = new ExecResult(refused.ShellExitCode, Error: refused.Message);
                    break;
                }

                await WaitForRoomAsync();
                lock (_lock)
                {
                    (frame.Type == AgentFrameType.Stdout ? _stdout : _stderr).Enqueue(frame.Payload);
                    _buffered += frame.Payload.Length;
                    Signal();
                }
            }
        }
        catch (OperationCanceledException) when (_ending.IsCancellationRequested)
        {
            result = new ExecResult(255, Error: "the exec session was ended.");
        }
        catch (Exception ex) when (ex is AgentProtocolException or IOException or ObjectDisposedException)
        {
            result = new ExecResult(255, Error: $"the exec session broke: {ex.Message}");
        }

        lock (_lock)
        {
            _result = result;
            Signal();
        }
    }

    private async Task WaitForRoomAsync()
    {
        while (true)
        {
            Task changed;
            lock (_lock)
            {
                if (_buffered < MaxBufferedBytes)
                {
                    return;
                }

                changed = _changed.Task;
            }

            await changed.WaitAsync(_ending.Token);
        }
    }

    private byte[] Take(Queue<byte[]> queue)
    {
        if (queue.Count == 0)
        {
            return [];
        }

        var size = 0;
        foreach (var chunk in queue)
        {
            if (size > 0 && size + chunk.Length > MaxReadBytes)
            {
                break;
            }

            size += chunk.Length;
        }

        var taken = new byte[size];
        var at = 0;
        while (at < size)
        {
            var chunk = queue.Dequeue();
            chunk.CopyTo(taken, at);
            at += chunk.Length;
        }

        _buffered -= size;
        return taken;
    }

    /// <summary>Wakes whoever waits for output or for room (call holding the lock).</summary>
    private void Signal()
    {
        var changed = _changed;
        _changed = NewSignal();
        changed.TrySetResult();
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private static string NewId() => Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8));
}
