using System.Globalization;
using Formation.Silo.Platform;

namespace Formation.Silo.Pack;

/// <summary>
/// Starts a host script inside the build sandbox's namespaces: a new user namespace whose root is the unprivileged
/// uid range <see cref="PackOptions.BuildUidBase"/> (so "root" in a step owns nothing on the host), with new mount,
/// PID, IPC, UTS and network namespaces, inside a fresh cgroup with the step limits (the waiting child is moved
/// into it before its go-ahead, so no extra process is started for it). The network namespace is empty,
/// or, for a step given a <see cref="BuildNetworkLease"/>, holds the lease's egress-only link.
/// The child waits on a pipe until this process has written its uid/gid maps (as root on the host may, without
/// newuidmap or /etc/subuid) and attached its network, then becomes root of the namespace and runs the script as
/// that root; when the preparation fails the child exits without running anything.
/// </summary>
internal sealed class BuildSandbox(PackOptions options)
{
    public const string MapMarker = "FORMATION-USERNS ";

    /// <summary>In the new namespaces, before the maps exist: say which process to map, wait for the go-ahead.</summary>
    private const string AwaitScript = """
        exec 3<>"$1"; shift
        read -r pid rest < /proc/self/stat
        echo "FORMATION-USERNS $pid"
        read -r go <&3
        exec 3<&-
        [ "$go" = go ] || exit 125
        exec "$@"
        """;

    /// <summary>The uid (and gid) on the host of root in a step.</summary>
    public long RootUid => options.BuildUidBase;

    /// <summary>Owns a host directory by the sandbox's root, so the step can write it.</summary>
    public void Own(string path) => HostOwnership.Chown(path, RootUid, RootUid);

    /// <summary>
    /// Runs <paramref name="script"/> (with <paramref name="arguments"/>) as root of a new sandbox. Fails with a
    /// message naming the limit when the step ran into pids.max or memory.max. <paramref name="hostNetwork"/>
    /// (benchmarks without the sandbox only) keeps the host's network namespace.
    /// </summary>
    public async Task<ProcessResult> RunAsync(
        string scratch, string script, IReadOnlyList<string> arguments, BuildNetworkLease? network, Action<string>? onLine,
        IReadOnlyDictionary<string, string>? environment, Func<Stream, CancellationToken, Task>? stdin, CancellationToken cancellationToken,
        bool hostNetwork = false)
    {
        var sync = Path.Combine(scratch, $"userns-{Guid.NewGuid():N}.fifo");
        HostFifo.Create(sync);
        // The cgroup is made while unshare starts (both take milliseconds) and entered before the go-ahead.
        var cgroupMade = options.BenchmarkWithoutSandbox ? null : Task.Run(() => HostCgroup.Create(
            options.CgroupParent, Path.GetFileName(scratch) + "-" + Guid.NewGuid().ToString("N")[..8],
            new CgroupLimits(options.StepPidsMax, options.StepMemoryMaxBytes, options.StepCpus)));
        HostCgroup? cgroup = null;
        Task? prepare = null;
        try
        {
            var argv = new List<string> { "--user", "--keep-caps", "--mount", "--pid", "--fork", "--kill-child", "--ipc", "--uts", "--propagation", "private" };
            if (!hostNetwork)
            {
                argv.Add("--net");
            }

            argv.AddRange(["--", "/bin/sh", "-c", AwaitScript, "formation-await", sync,
                "setpriv", "--reuid=0", "--regid=0", "--clear-groups", "--inh-caps=-all", "--ambient-caps=-all",
                "/bin/sh", "-c", script, "formation-sandbox"]);
            argv.AddRange(arguments);
            var result = await ProcessRunner.RunAsync("unshare", argv, line =>
            {
                if (prepare is null && line.StartsWith(MapMarker, StringComparison.Ordinal))
                {
                    // Only the first marker: later output is the step's, which may lie. The output reader must not
                    // wait for the set-up (its processes), so it runs on its own.
                    prepare = Task.Run(() => PrepareAsync(line[MapMarker.Length..], sync, cgroupMade, network, cancellationToken), CancellationToken.None);
                    return;
                }

                onLine?.Invoke(line);
            }, options.OutputTailLines, options.StepTimeout, cancellationToken, environment, stdin);
            if (prepare is not null)
            {
                await prepare; // a failed set-up is the step's error
            }

            cgroup = cgroupMade is null ? null : await cgroupMade;

            if (result.ExitCode != 0 && cgroup?.ExceededLimit() is { } limit)
            {
                throw new BuildStepException($"the step ran into its {limit} limit and was stopped", result.ExitCode, result.OutputTail);
            }

            return result;
        }
        finally
        {
            if (prepare is not null)
            {
                await prepare.ContinueWith(_ => { }, TaskScheduler.Default); // never leave it running past the lease
            }

            File.Delete(sync);
            if (cgroupMade is not null && await cgroupMade.ContinueWith(t => t.IsCompletedSuccessfully ? t.Result : null, TaskScheduler.Default) is { } made)
            {
                made.KillAndRemoveLater(); // nothing of the step outlives it; the empty cgroup goes in the background
            }
        }
    }

    /// <summary>
    /// Moves the waiting child into the step's cgroup, writes its uid/gid maps and attaches its network, then lets it
    /// go (or stop, when anything failed). The child has forked nothing yet, so everything the step ever runs is born
    /// inside the cgroup.
    /// </summary>
    private async Task PrepareAsync(string pidText, string sync, Task<HostCgroup>? cgroup, BuildNetworkLease? network, CancellationToken cancellationToken)
    {
        var go = false;
        try
        {
            if (!int.TryParse(pidText, CultureInfo.InvariantCulture, out var pid))
            {
                return; // cannot happen with AwaitScript; the child is told to stop
            }

            if (cgroup is not null)
            {
                (await cgroup).Enter(pid); // a failure stops the child and is the step's error
            }

            var map = $"0 {RootUid} {options.BuildUidCount}\n";
            try
            {
                File.WriteAllText($"/proc/{pid}/uid_map", map);
                File.WriteAllText($"/proc/{pid}/gid_map", map);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                return; // unmapped, the child could not become root of its namespace
            }

            if (network is not null)
            {
                await BuildNetwork.AttachAsync(network, pid, cancellationToken);
            }

            go = true;
        }
        finally
        {
            HostFifo.TrySignal(sync, go ? "go" : "stop");
        }
    }
}
