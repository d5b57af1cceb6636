using System.Diagnostics;
using Formation.Silo.Platform;

namespace Formation.Bench.Mesh;

/// <summary>
/// Simulated hosts on this machine, as the mesh tests make them (tests/Formation.Silo.Tests/Mesh/MeshLab.cs): one
/// network namespace per host with a veth on a shared underlay bridge in the root namespace (which holds .1 and
/// PostgreSQL). Commands and silos enter a host with <c>nsenter --net</c>, not <c>ip netns exec</c>: the latter remounts
/// /sys, which takes the silo's cgroup file systems away. Every name starts with <c>fmb</c> + a run id; disposing
/// removes all of it, including the wireguard-go daemons of the interfaces made inside.
/// </summary>
public sealed class Underlay : IAsyncDisposable
{
    private readonly string _id = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray())[..4];
    private readonly List<string> _namespaces = [];
    private readonly List<Process> _daemons = [];
    private int _octet;

    private Underlay()
    {
    }

    public string Bridge => $"fmb{_id}br";

    /// <summary>The third octet of the underlay's 10.232.x.0/24; 10.233.x.0/24 is free too, for a bench's own tunnel.</summary>
    public int Octet => _octet;

    /// <summary>Host <paramref name="host"/>'s underlay address (host 0 is the root namespace).</summary>
    public string Address(int host) => $"10.232.{_octet}.{(host == 0 ? 1 : 10 + host)}";

    public string Namespace(int host) => $"fmb{_id}h{host}";

    public string NodeId(int host) => $"fmb{_id}-h{host}";

    /// <summary>What runs a command inside host <paramref name="host"/> (it execs: the process id stays the command's).</summary>
    public IReadOnlyList<string> Enter(int host) => ["nsenter", $"--net=/run/netns/{Namespace(host)}", "--"];

    public static async Task<Underlay> CreateAsync()
    {
        var underlay = new Underlay();
        try
        {
            // A /24 of 10.232/16 (and the same of 10.233/16) that nothing on this machine routes yet (another run, a test lab).
            var routes = await ProcessRunner.CaptureAsync("ip", ["-4", "route", "show"], CancellationToken.None);
            underlay._octet = Enumerable.Range(0, 50).Select(_ => Random.Shared.Next(1, 250))
                .First(o => !routes.Contains($"10.232.{o}.", StringComparison.Ordinal) && !routes.Contains($"10.233.{o}.", StringComparison.Ordinal));
            await RunAsync("ip", "link", "add", underlay.Bridge, "type", "bridge");
            await RunAsync("ip", "addr", "add", $"{underlay.Address(0)}/24", "dev", underlay.Bridge);
            await RunAsync("ip", "link", "set", underlay.Bridge, "up");
            return underlay;
        }
        catch
        {
            await underlay.DisposeAsync();
            throw;
        }
    }

    /// <summary>Makes host <paramref name="host"/>: a namespace whose <c>ul0</c> sits on the underlay bridge.</summary>
    public async Task AddHostAsync(int host)
    {
        var ns = Namespace(host);
        await RunAsync("ip", "netns", "add", ns);
        _namespaces.Add(ns);
        var veth = $"fmb{_id}u{host}";
        await RunAsync("ip", "link", "add", veth, "type", "veth", "peer", "name", "ul0", "netns", ns);
        await RunAsync("ip", "link", "set", veth, "master", Bridge, "up");
        await InAsync(host, "ip", "addr", "add", $"{Address(host)}/24", "dev", "ul0");
        await InAsync(host, "ip", "link", "set", "ul0", "up");
        await InAsync(host, "ip", "link", "set", "lo", "up");
    }

    /// <summary>Runs a command inside host <paramref name="host"/>; its standard output, or throws with its output.</summary>
    public Task<string> InAsync(int host, params string[] command) => RunAsync([.. Enter(host), .. command]);

    /// <summary>Runs a command inside host <paramref name="host"/>; its exit code and output, whatever they are.</summary>
    public async Task<(int ExitCode, string Output)> TryInAsync(int host, params string[] command)
    {
        var lines = new List<string>();
        string[] full = [.. Enter(host), .. command];
        var result = await ProcessRunner.RunAsync(full[0], full[1..], lines.Add, 100_000, TimeSpan.FromMinutes(2), CancellationToken.None);
        return (result.ExitCode, string.Join('\n', lines));
    }

    /// <summary>Starts a long-running command inside host <paramref name="host"/> (a server); it ends with the underlay.</summary>
    public Process StartIn(int host, params string[] command)
    {
        var info = new ProcessStartInfo("nsenter") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var part in Enter(host).Skip(1).Concat(command))
        {
            info.ArgumentList.Add(part);
        }

        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _daemons.Add(process);
        return process;
    }

    /// <summary>The public keys of the peers of WireGuard interface <paramref name="wg"/> in host <paramref name="host"/>.</summary>
    public async Task<IReadOnlyList<string>> PeersAsync(int host, string wg)
    {
        var (code, output) = await TryInAsync(host, "wg", "show", wg, "peers");
        return code == 0 ? output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) : [];
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var daemon in _daemons)
        {
            try
            {
                daemon.Kill();
                await daemon.WaitForExitAsync();
            }
            catch (InvalidOperationException)
            {
            }

            daemon.Dispose();
        }

        // A wireguard-go daemon keeps its namespace alive until its interface is deleted; whatever else still runs in a
        // namespace of this run (a silo the caller did not end) was started by it and ends with it.
        foreach (var ns in _namespaces)
        {
            string[] enter = ["--net=/run/netns/" + ns, "--"];
            var links = await QuietAsync("nsenter", [.. enter, "ip", "-o", "link", "show", "type", "tun"]);
            foreach (var line in links.Where(l => l.Contains(':', StringComparison.Ordinal)))
            {
                await QuietAsync("nsenter", [.. enter, "ip", "link", "del", line.Split(':', 3)[1].Trim()]);
            }

            foreach (var pid in await QuietAsync("ip", ["netns", "pids", ns]))
            {
                await QuietAsync("kill", ["-KILL", pid.Trim()]);
            }

            await QuietAsync("ip", ["netns", "del", ns]);
            await Formation.Testing.SimulatedHost.RemoveAsync(ns);
        }

        await QuietAsync("ip", ["link", "del", Bridge]);
    }

    // Clean-up: whatever is already gone stays gone; the output lines, if any.
    private static async Task<IReadOnlyList<string>> QuietAsync(string file, string[] args) =>
        (await ProcessRunner.RunAsync(file, args, null, 500, TimeSpan.FromSeconds(30), CancellationToken.None)).OutputTail;

    private static Task<string> RunAsync(params string[] command) => ProcessRunner.CaptureAsync(command[0], command[1..], CancellationToken.None);
}
