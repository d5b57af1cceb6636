using Formation.Silo.Pack;

namespace Formation.Testing;

/// <summary>What tests of images and VMs need from the machine, with the reason to skip when it is missing.</summary>
public static class TestEnvironment
{
    private static readonly Lazy<string?> BuilderProblem = new(FindBuilderProblem);

    /// <summary>Skips unless this machine can build images (root, unshare, overlayfs, busybox-static, mkfs.ext4, cpio).</summary>
    public static void RequireBuilder()
    {
        if (BuilderProblem.Value is { } problem)
        {
            Assert.Skip(problem);
        }
    }

    /// <summary>Skips unless qemu-system-x86_64 is installed.</summary>
    public static void RequireQemu() =>
        Assert.SkipUnless(File.Exists("/usr/bin/qemu-system-x86_64"), "qemu-system-x86_64 is not installed (apt-get install qemu-system-x86)");

    /// <summary>The Formation guest kernel, or skip saying how to get it.</summary>
    public static string RequireFormationKernel()
    {
        var kernel = GuestKernelLocator.TryResolve();
        Assert.SkipWhen(kernel is null,
            $"the Formation guest kernel is not at {GuestKernelLocator.CandidatePath()} (run scripts/build-guest-kernel or set {GuestKernelLocator.EnvironmentVariable})");
        return kernel!;
    }

    private static string? FindBuilderProblem()
    {
        if (Environment.UserName != "root")
        {
            return "the image builder needs root (namespaces, overlayfs mounts, mknod)";
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
