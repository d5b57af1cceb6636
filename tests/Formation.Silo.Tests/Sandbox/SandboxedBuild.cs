using System.Diagnostics;
using Formation.Images;
using Formation.Silo.Pack;

namespace Formation.Silo.Tests.Sandbox;

/// <summary>A throw-away data directory and builder with the sandbox's test cgroup parent (prefix sb-) and small limits.</summary>
internal sealed class SandboxedBuild : IDisposable
{
    private static readonly string[] CgroupRoots = ["/sys/fs/cgroup", "/sys/fs/cgroup/pids", "/sys/fs/cgroup/memory", "/sys/fs/cgroup/cpu", "/sys/fs/cgroup/cpuacct"];

    private readonly TestDirectory _data = new("sb-pack-data");

    public SandboxedBuild(Action<PackOptions>? configure = null)
    {
        // Its own cgroup parent (prefix sb-), so tests building in parallel never see each other's step cgroups.
        // Its own pool of build disks too (outside pack/), so a test sees only the disks of its own builds.
        Options = new PackOptions
        {
            DataDirectory = _data.Path, CgroupParent = "sb-pack-" + Guid.NewGuid().ToString("N")[..8], BuildDiskDirectory = Path.Combine(_data.Path, "build-disks"),
        };
        configure?.Invoke(Options);
        Store = new ImageStore(Options);
        Builder = new ImageBuilder(Options, Store);
    }

    public PackOptions Options { get; }

    public ImageStore Store { get; }

    public ImageBuilder Builder { get; }

    public string PackDirectory => Path.Combine(_data.Path, "pack");

    public string LayersDirectory => Path.Combine(PackDirectory, "layers");

    /// <summary>This builder's pool of build disks.</summary>
    public BuildDiskPool DiskPool => BuildDiskPool.For(Options);

    public Task<ImageManifest> BuildAsync(string formfile, Stream? contextTar = null) =>
        Builder.BuildAsync(new BuildRequest(formfile, ContextTar: contextTar), null, TestContext.Current.CancellationToken);

    /// <summary>The image's root filesystem as <c>cpio -itvn</c> lists it: "mode uid:gid path" per entry.</summary>
    public async Task<IReadOnlyList<string>> ListImageAsync(ImageManifest manifest)
    {
        var entry = (await Store.GetAsync(manifest.Digest, TestContext.Current.CancellationToken))!;
        var lines = await RunAsync("cpio", "-itvn", "--quiet", "-F", entry.RootFilesystemPath);
        return [.. lines.Select(l => l.Split(' ', 9, StringSplitOptions.RemoveEmptyEntries))
            .Select(f => $"{f[0]} {f[2]}:{f[3]} /{f[8].Split(" -> ")[0].TrimStart('.', '/')}")];
    }

    /// <summary>Every cgroup directory left under this build's cgroup parent (v1 controllers or v2).</summary>
    /// <summary>
    /// The step cgroups still there once their removal had its time: a step's empty cgroups are removed in the background
    /// (<c>HostCgroup.KillAndRemoveLater</c>, at most about 10 s), so one still listed right after a build is not a leak;
    /// one still listed after 15 s is.
    /// </summary>
    public IReadOnlyList<string> LeftoverCgroups()
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (true)
        {
            IReadOnlyList<string> left = [.. CgroupRoots.Select(root => Path.Combine(root, Options.CgroupParent)).Where(Directory.Exists).SelectMany(Directory.EnumerateDirectories)];
            if (left.Count == 0 || DateTime.UtcNow > deadline)
            {
                return left;
            }

            Thread.Sleep(50);
        }
    }

    public static async Task<IReadOnlyList<string>> RunAsync(string file, params string[] arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = await process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    public void Dispose()
    {
        DiskPool.DestroyIdleAsync(TimeSpan.Zero).GetAwaiter().GetResult();
        foreach (var parent in CgroupRoots.Select(root => Path.Combine(root, Options.CgroupParent)).Where(Directory.Exists))
        {
            Directory.Delete(parent);
        }

        _data.Dispose();
    }
}
