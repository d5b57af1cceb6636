using Formation.Silo.Pack;

namespace Formation.Testing;

/// <summary>
/// What tests of images and VMs need from the machine. None of it is hardware: scripts/test installs it, so a test
/// fails (it does not skip) when it is missing, saying what is missing (see <see cref="Prerequisites"/>).
/// </summary>
public static class TestEnvironment
{
    private static readonly Lazy<string?> BuilderProblem = new(FindBuilderProblem);

    /// <summary>Fails unless this machine can build images (root, unshare, overlayfs, busybox-static, mkfs.ext4, cpio).</summary>
    public static void RequireBuilder() =>
        Prerequisites.Require(BuilderProblem.Value is null, $"the image builder cannot run here: {BuilderProblem.Value}");

    /// <summary>Fails unless qemu-system-x86_64 is installed.</summary>
    public static void RequireQemu() => Prerequisites.RequireFile("/usr/bin/qemu-system-x86_64", "qemu-system-x86");

    /// <summary>The Formation guest kernel, or a failure saying how to get it.</summary>
    public static string RequireFormationKernel()
    {
        var kernel = GuestKernelLocator.TryResolve();
        Prerequisites.Require(kernel is not null,
            $"the Formation guest kernel is not at {GuestKernelLocator.CandidatePath()} (scripts/build-guest-kernel builds it, or set {GuestKernelLocator.EnvironmentVariable})");
        return kernel!;
    }

    /// <summary>The Formation guest agent (put into images' base layers), or a failure saying how to get it.</summary>
    public static string RequireGuestAgent()
    {
        var agent = GuestAgentLocator.TryResolve();
        Prerequisites.Require(agent is not null,
            $"the Formation guest agent is not at {GuestAgentLocator.CandidatePath()} (scripts/build-guest-agent builds it, or set {GuestAgentLocator.EnvironmentVariable})");
        return agent!;
    }

    private static string? FindBuilderProblem()
    {
        if (Environment.UserName != "root")
        {
            return $"it needs root (namespaces, overlayfs mounts, mknod) and the test runs as {Environment.UserName}";
        }

        foreach (var tool in new[] { "/usr/bin/unshare", "/usr/sbin/capsh", "/usr/sbin/mkfs.ext4", "/usr/bin/cpio", "/bin/busybox" })
        {
            if (!File.Exists(tool))
            {
                return $"{tool} is missing (see scripts/apt-packages.txt)";
            }
        }

        return File.ReadAllText("/proc/filesystems").Contains("overlay") ? null : "the kernel has no overlayfs (modprobe overlay)";
    }
}
