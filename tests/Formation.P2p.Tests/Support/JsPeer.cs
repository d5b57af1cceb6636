using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Formation.P2p.Addressing;
using Formation.P2p.Identity;

namespace Formation.P2p.Tests.Support;

/// <summary>
/// A js-libp2p node (tests/Formation.P2p.Tests/js/peer.mjs, installed by scripts/test with npm ci) in a child process:
/// commands as JSON lines on stdin, answers and events as JSON lines on stdout.
/// </summary>
public sealed class JsPeer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Dictionary<int, TaskCompletionSource<JsonObject>> _pending = [];
    private readonly List<JsonObject> _events = [];
    private readonly TaskCompletionSource<JsonObject> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly System.Text.StringBuilder _stderr = new();
    private int _nextId;

    private JsPeer(Process process)
    {
        _process = process;
    }

    /// <summary>The js node's PeerId.</summary>
    public PeerId PeerId { get; private set; } = null!;

    /// <summary>Its listen addresses (with /p2p).</summary>
    public IReadOnlyList<Multiaddr> Addresses { get; private set; } = [];

    /// <summary>The folder of peer.mjs.</summary>
    public static string ScriptDirectory => Path.Combine(RepoRoot(), "tests", "Formation.P2p.Tests", "js");

    /// <summary>Starts a js node; <paramref name="options"/> become peer.mjs's argument; <paramref name="wrapper"/> (e.g. ip netns exec) runs it.</summary>
    public static async Task<JsPeer> StartAsync(object? options = null, IReadOnlyList<string>? wrapper = null)
    {
        var dir = ScriptDirectory;
        Assert.True(Directory.Exists(Path.Combine(dir, "node_modules", "libp2p")),
            $"js-libp2p is not installed in {dir}: run scripts/test (it runs 'npm ci' there) or 'npm ci --prefix {dir}'");
        var psi = new ProcessStartInfo(wrapper is { Count: > 0 } ? wrapper[0] : "node")
        {
            WorkingDirectory = dir,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in wrapper?.Skip(1) ?? [])
        {
            psi.ArgumentList.Add(arg);
        }

        if (wrapper is { Count: > 0 })
        {
            psi.ArgumentList.Add("node");
        }

        psi.ArgumentList.Add("peer.mjs");
        psi.ArgumentList.Add(JsonSerializer.Serialize(options ?? new { }));
        var peer = new JsPeer(Process.Start(psi)!);
        peer._process.OutputDataReceived += (_, e) => peer.OnLine(e.Data);
        peer._process.ErrorDataReceived += (_, e) =>
        {
            lock (peer._stderr)
            {
                peer._stderr.AppendLine(e.Data);
            }
        };
        peer._process.BeginOutputReadLine();
        peer._process.BeginErrorReadLine();
        var exited = peer._process.WaitForExitAsync();
        var first = await Task.WhenAny(peer._ready.Task, exited, Task.Delay(TimeSpan.FromSeconds(60)));
        Assert.True(first == peer._ready.Task, $"the js peer did not start: {peer.Stderr}");
        var ready = await peer._ready.Task;
        peer.PeerId = PeerId.Parse(ready["peer"]!.GetValue<string>());
        peer.Addresses = [.. ready["addrs"]!.AsArray().Select(a => Multiaddr.Parse(a!.GetValue<string>()))];
        return peer;
    }

    /// <summary>What the js process wrote to stderr.</summary>
    public string Stderr
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    /// <summary>Sends a command and returns its answer; fails the test if js reports an error.</summary>
    public async Task<JsonObject> CallAsync(string command, object? args = null, TimeSpan? timeout = null)
    {
        var answer = await TryCallAsync(command, args, timeout);
        Assert.True(answer["ok"]!.GetValue<bool>(), $"js {command} failed: {answer["error"]}");
        return answer;
    }

    /// <summary>Sends a command and returns its answer, error or not.</summary>
    public async Task<JsonObject> TryCallAsync(string command, object? args = null, TimeSpan? timeout = null)
    {
        var request = args is null ? new JsonObject() : JsonSerializer.SerializeToNode(args)!.AsObject();
        var done = new TaskCompletionSource<JsonObject>(TaskCreationOptions.RunContinuationsAsynchronously);
        int id;
        lock (_pending)
        {
            id = ++_nextId;
            _pending[id] = done;
        }

        request["id"] = id;
        request["cmd"] = command;
        await _process.StandardInput.WriteLineAsync(request.ToJsonString());
        await _process.StandardInput.FlushAsync();
        return await done.Task.WaitAsync(timeout ?? TimeSpan.FromSeconds(60));
    }

    /// <summary>Waits for an event matching <paramref name="match"/> (already seen or future).</summary>
    public async Task<JsonObject> WaitForEventAsync(Func<JsonObject, bool> match, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < timeout)
        {
            lock (_events)
            {
                if (_events.FirstOrDefault(match) is { } found)
                {
                    return found;
                }
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"no matching js event within {timeout}; stderr: {Stderr}");
    }

    /// <summary>Stops the js node.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            try
            {
                _process.StandardInput.Close();
                await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
            }
            catch (Exception e) when (e is TimeoutException or IOException)
            {
                _process.Kill(entireProcessTree: true);
            }
        }

        _process.Dispose();
    }

    internal static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Formation.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("cannot find the repository root (Formation.sln) above " + AppContext.BaseDirectory);
    }

    private void OnLine(string? line)
    {
        if (string.IsNullOrWhiteSpace(line) || line[0] != '{')
        {
            return;
        }

        var message = JsonNode.Parse(line)!.AsObject();
        if (message["event"]?.GetValue<string>() == "ready")
        {
            _ready.TrySetResult(message);
        }
        else if (message["event"] is not null)
        {
            lock (_events)
            {
                _events.Add(message);
            }
        }
        else if (message["id"]?.GetValue<int>() is { } id)
        {
            TaskCompletionSource<JsonObject>? done;
            lock (_pending)
            {
                _pending.Remove(id, out done);
            }

            done?.TrySetResult(message);
        }
    }
}
