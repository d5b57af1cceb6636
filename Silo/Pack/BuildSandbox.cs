using System.Globalization;
using Formation.Silo.Platform;

namespace Formation.Silo.Pack;

/// <summary>
/// Starts a host script inside the build sandbox's namespaces: a new user namespace whose root is the unprivileged
/// uid range <see cref="PackOptions.BuildUidBase"/> (so "root" in a step owns nothing on the host), with new mount,
/// PID, IPC and UTS namespaces (and network, unless asked for), inside a fresh cgroup with the step limits.
/// The child waits on a pipe until this process has written its uid/gid maps (as root on the host may, without
/// newuidmap or /etc/subuid), then becomes root of the namespace and runs the script as that root.
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
        exec "$@"
        """;

    /// <summary>The uid (and gid) on the host of root in a step.</summary>
    public long RootUid => options.BuildUidBase;

    /// <summary>Owns a host directory by the sandbox's root, so the step can write it.</summary>
    public void Own(string path) => HostOwnership.Chown(path, RootUid, RootUid);

    /// <summary>
    /// Runs <paramref name="script"/> (with <paramref name="arguments"/>) as root of a new sandbox. Fails with a
    /// message naming the limit when the step ran into pids.max or memory.max.
    /// </summary>
    public async Task<ProcessResult> RunAsync(
        string scratch, string script, IReadOnlyList<string> arguments, bool network, Action<string>? onLine,
        IReadOnlyDictionary<string, string>? environment, Func<Stream, CancellationToken, Task>? stdin, CancellationToken cancellationToken)
    {
        var sync = Path.Combine(scratch, $"userns-{Guid.NewGuid():N}.fifo");
        HostFifo.Create(sync);
        using var cgroup = HostCgroup.Create(options.CgroupParent, Path.GetFileName(scratch) + "-" + Guid.NewGuid().ToString("N")[..8],
            new CgroupLimits(options.StepPidsMax, options.StepMemoryMaxBytes, options.StepCpus));
        try
        {
            var argv = new List<string> { "--user", "--keep-caps", "--mount", "--pid", "--fork", "--kill-child", "--ipc", "--uts", "--propagation", "private" };
            if (!network)
            {
                argv.Add("--net");
            }

            argv.AddRange(["--", "/bin/sh", "-c", AwaitScript, "formation-await", sync,
                "setpriv", "--reuid=0", "--regid=0", "--clear-groups", "--inh-caps=-all", "--ambient-caps=-all",
                "/bin/sh", "-c", script, "formation-sandbox"]);
            argv.AddRange(arguments);
            var mapped = false;
            var result = await ProcessRunner.RunAsync("/bin/sh", cgroup.EnterArguments("unshare", argv), line =>
            {
                if (!mapped && line.StartsWith(MapMarker, StringComparison.Ordinal))
                {
                    mapped = true; // only the first marker: later output is the step's, which may lie
                    Map(line[MapMarker.Length..], sync);
                    return;
                }

                onLine?.Invoke(line);
            }, options.OutputTailLines, options.StepTimeout, cancellationToken, environment, stdin);
            if (result.ExitCode != 0 && cgroup.ExceededLimit() is { } limit)
            {
                throw new BuildStepException($"the step ran into its {limit} limit and was stopped", result.ExitCode, result.OutputTail);
            }

            return result;
        }
        finally
        {
            File.Delete(sync);
        }
    }

    private void Map(string pidText, string sync)
    {
        if (!int.TryParse(pidText, CultureInfo.InvariantCulture, out var pid))
        {
            return; // the child then waits until the step timeout kills it; cannot happen with AwaitScript
        }

        var map = $"0 {RootUid} {options.BuildUidCount}\n";
        try
        {
            File.WriteAllText($"/proc/{pid}/uid_map", map);
            File.WriteAllText($"/proc/{pid}/gid_map", map);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Unmapped, the child cannot become root of its namespace: setpriv fails and the step fails at once.
        }

        HostFifo.TrySignal(sync);
    }
}
