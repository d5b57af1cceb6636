using Formation.Formfiles;
using Formation.Silo.Platform;

namespace Formation.Silo.Pack;

/// <summary>
/// The bottom layer of every image. <c>tiny</c>: busybox-static with pre-made applet links and a minimal /etc
/// (built in C# in well under a second). <c>debian:bookworm</c>: <c>mmdebstrap --variant=minbase</c> from the
/// machine's own Debian apt sources, built once per data directory (a lock file serializes concurrent builders)
/// and reused by every later build. Owners are shifted into the build uid range (<see cref="PackOptions.BuildUidBase"/>)
/// so the sandbox's user namespace sees them as the in-image owners. Both carry busybox at <see cref="GuestInit.BusyboxPath"/> for the guest init,
/// and the guest agent at <see cref="GuestInit.AgentPath"/> when the node has one (<see cref="GuestAgentLocator"/>; its digest is part
/// of the key, so a new agent makes new base layers).
/// </summary>
internal sealed class BaseLayers(PackOptions options, PackPaths paths, LayerStore layers)
{
    private const string TinyVersion = "tiny-v2-userns";
    private const string DebianVersion = "debian-minbase-v2-userns";

    /// <summary>The base layer's cache key (computed without building anything).</summary>
    public async Task<string> KeyAsync(BaseImage baseImage, CancellationToken cancellationToken)
    {
        var busybox = await PackDigest.FileHexAsync(BusyboxPath(), cancellationToken);
        var agent = GuestAgentLocator.TryResolve(options) is { } path ? "agent " + await PackDigest.FileHexAsync(path, cancellationToken) : "no agent";
        return baseImage.Kind == BaseImageKind.Tiny
            ? PackDigest.Key("base", TinyVersion, busybox, agent)
            : PackDigest.Key("base", DebianVersion, options.DebianSuite, busybox, agent, await File.ReadAllTextAsync(SourcesFile() ?? "/dev/null", cancellationToken));
    }

    /// <summary>Makes sure the base layer exists; returns true when it had to be built.</summary>
    public async Task<bool> EnsureAsync(BaseImage baseImage, string key, Action<string> onLine, CancellationToken cancellationToken)
    {
        if (layers.Exists(key))
        {
            return false;
        }

        if (baseImage.Kind == BaseImageKind.Tiny)
        {
            await BuildTinyAsync(key, cancellationToken);
            return true;
        }

        await using var gate = await PackLock.AcquireAsync(Path.Combine(paths.Locks, $"base-{key}.lock"), cancellationToken);
        if (layers.Exists(key))
        {
            return false; // another builder finished it while we waited
        }

        await BuildDebianAsync(key, onLine, cancellationToken);
        return true;
    }

    private async Task BuildTinyAsync(string key, CancellationToken cancellationToken)
    {
        var staging = layers.BeginStaging("base-tiny");
        try
        {
            var root = Path.Combine(staging, "root");
            foreach (var dir in new[] { "bin", "sbin", "usr/bin", "usr/sbin", "usr/lib/formation", "etc/profile.d", "dev", "proc", "sys", "run", "root", "home", "var/log", "mnt", "tmp" })
            {
                Directory.CreateDirectory(Path.Combine(root, dir));
            }

            File.SetUnixFileMode(Path.Combine(root, "tmp"), (UnixFileMode)0b1_111_111_111);
            File.SetUnixFileMode(Path.Combine(root, "root"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            File.Copy(BusyboxPath(), Path.Combine(root, "bin/busybox"));
            File.SetUnixFileMode(Path.Combine(root, "bin/busybox"), (UnixFileMode)0b111_101_101);
            var applets = await ProcessRunner.CaptureAsync(BusyboxPath(), ["--list-full"], cancellationToken);
            foreach (var applet in applets.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (applet is "bin/busybox" or "linuxrc" || applet.Contains(".."))
                {
                    continue;
                }

                var link = Path.Combine(root, applet);
                Directory.CreateDirectory(Path.GetDirectoryName(link)!);
                if (!File.Exists(link))
                {
                    File.CreateSymbolicLink(link, Path.GetRelativePath(Path.GetDirectoryName(link)!, Path.Combine(root, "bin/busybox")));
                }
            }

            File.CreateSymbolicLink(Path.Combine(root, "usr/lib/formation/busybox"), "../../../bin/busybox");
            CopyAgent(root);
            await File.WriteAllTextAsync(Path.Combine(root, "etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n", cancellationToken);
            await File.WriteAllTextAsync(Path.Combine(root, "etc/group"), "root:x:0:\n", cancellationToken);
            await File.WriteAllTextAsync(Path.Combine(root, "etc/shadow"), "root:*:19000:0:99999:7:::\n", cancellationToken);
            File.SetUnixFileMode(Path.Combine(root, "etc/shadow"), UnixFileMode.UserRead | UnixFileMode.UserWrite);
            await File.WriteAllTextAsync(Path.Combine(root, "etc/profile"),
                "export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\nfor f in /etc/profile.d/*.sh; do [ -r \"$f\" ] && . \"$f\"; done\n",
                cancellationToken);
            await File.WriteAllTextAsync(Path.Combine(root, "etc/resolv.conf"), "", cancellationToken);
            await ProcessRunner.CaptureAsync("mknod", ["-m", "600", Path.Combine(root, "dev/console"), "c", "5", "1"], cancellationToken);
            await ProcessRunner.CaptureAsync("mknod", ["-m", "666", Path.Combine(root, "dev/null"), "c", "1", "3"], cancellationToken);
            await HostOwnership.ShiftTreeAsync(root, options.BuildUidBase, cancellationToken);
            await layers.CommitAsync(staging, new LayerInfo(key, "FROM tiny", DateTimeOffset.UtcNow, []), cancellationToken);
        }
        finally
        {
            HostPaths.DeleteTree(staging);
        }
    }

    private async Task BuildDebianAsync(string key, Action<string> onLine, CancellationToken cancellationToken)
    {
        var staging = layers.BeginStaging("base-debian");
        try
        {
            var root = Path.Combine(staging, "root");
            // mmdebstrap mounts /proc, /sys and /dev in the target while it works: a private mount namespace
            // guarantees none of that outlives it, even if it is killed.
            var arguments = new List<string>
            {
                "--mount", "--propagation", "private", "--", "mmdebstrap",
                "--variant=minbase", "--mode=root", "--format=directory",
                "--dpkgopt=path-exclude=/usr/share/man/*", "--dpkgopt=path-exclude=/usr/share/doc/*",
                "--dpkgopt=path-include=/usr/share/doc/*/copyright", "--dpkgopt=path-exclude=/usr/share/info/*",
                "--dpkgopt=path-exclude=/usr/share/locale/*",
                options.DebianSuite, root,
            };
            if (SourcesFile() is { } sources)
            {
                arguments.Add(sources);
            }

            var result = await ProcessRunner.RunAsync("unshare", arguments, onLine, options.OutputTailLines, options.StepTimeout, cancellationToken);
            if (result.ExitCode != 0)
            {
                throw new BuildStepException("mmdebstrap could not build the Debian base (check the apt sources and network)", result.ExitCode, result.OutputTail);
            }

            Directory.CreateDirectory(Path.Combine(root, "usr/lib/formation"));
            File.Copy(BusyboxPath(), Path.Combine(root, "usr/lib/formation/busybox"));
            File.SetUnixFileMode(Path.Combine(root, "usr/lib/formation/busybox"), (UnixFileMode)0b111_101_101);
            CopyAgent(root);
            var resolv = Path.Combine(root, "etc/resolv.conf");
            if (!File.Exists(resolv) && new FileInfo(resolv).LinkTarget is null)
            {
                await File.WriteAllTextAsync(resolv, "", cancellationToken);
            }

            Directory.CreateDirectory(Path.Combine(root, "etc/profile.d"));
            await HostOwnership.ShiftTreeAsync(root, options.BuildUidBase, cancellationToken);
            await layers.CommitAsync(staging, new LayerInfo(key, $"FROM debian:{options.DebianSuite}", DateTimeOffset.UtcNow, []), cancellationToken);
        }
        finally
        {
            HostPaths.DeleteTree(staging);
        }
    }

    /// <summary>The guest agent into the layer, when the node has one (without it the image works, minus <c>form vm exec</c>).</summary>
    private void CopyAgent(string root)
    {
        if (GuestAgentLocator.TryResolve(options) is not { } agent)
        {
            return;
        }

        var target = Path.Combine(root, GuestInit.AgentPath.TrimStart('/'));
        File.Copy(agent, target, overwrite: true);
        File.SetUnixFileMode(target, (UnixFileMode)0b111_101_101);
    }

    private string BusyboxPath()
    {
        if (!File.Exists(options.BusyboxPath))
        {
            throw new BuildStepException($"busybox is missing at '{options.BusyboxPath}': install the busybox-static package");
        }

        return options.BusyboxPath;
    }

    /// <summary>The apt sources handed to mmdebstrap: configured, or the machine's own Debian sources.</summary>
    private string? SourcesFile()
    {
        if (options.DebianSourcesFile is { } configured)
        {
            return configured;
        }

        foreach (var candidate in new[] { "/etc/apt/sources.list.d/debian.sources", "/etc/apt/sources.list" })
        {
            if (File.Exists(candidate) && File.ReadAllText(candidate).Contains("debian", StringComparison.Ordinal))
            {
                return candidate;
            }
        }

        return null; // mmdebstrap's default: deb.debian.org
    }
}
