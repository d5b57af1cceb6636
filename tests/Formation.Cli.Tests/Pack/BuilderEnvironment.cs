namespace Formation.Cli.Tests.Pack;

/// <summary>What a silo on this machine needs to build images, with the reason to skip when it is missing.</summary>
internal static class BuilderEnvironment
{
    private static readonly Lazy<string?> Problem = new(Find);

    public static void Require()
    {
        if (Problem.Value is { } problem)
        {
            Assert.Skip(problem);
        }
    }

    private static string? Find()
    {
        if (Environment.UserName != "root")
        {
            return "the image builder needs root (namespaces, overlayfs mounts, mknod)";
        }

        foreach (var tool in new[] { "/usr/bin/unshare", "/usr/sbin/capsh", "/usr/bin/cpio", "/bin/busybox" })
        {
            if (!File.Exists(tool))
            {
                return $"{tool} is missing (see scripts/apt-packages.txt)";
            }
        }

        return File.ReadAllText("/proc/filesystems").Contains("overlay") ? null : "the kernel has no overlayfs (modprobe overlay)";
    }
}
