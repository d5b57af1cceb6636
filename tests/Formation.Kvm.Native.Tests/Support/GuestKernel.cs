namespace Formation.Kvm.Native.Tests.Support;

/// <summary>The cached Formation guest kernel (scripts/build-guest-kernel) and a busybox initramfs.</summary>
internal static class GuestKernel
{
    public const string Marker = "FORMATION-GUEST-READY";

    public static string Directory =>
        Path.Combine(Environment.GetEnvironmentVariable("FORMATION_CACHE_DIR") ?? "/var/cache/formation", "guest-kernel", "current");

    public static string Vmlinux => Path.Combine(Directory, "vmlinux");

    /// <summary>Fails unless the guest kernel is built (scripts/test builds it; it is no reason to skip).</summary>
    public static void RequireBuilt() =>
        Prerequisites.Require(File.Exists(Vmlinux), $"the Formation guest kernel is not built ({Vmlinux} missing; scripts/build-guest-kernel builds it)");

    /// <summary>
    /// An uncompressed initramfs: static busybox with pre-made applet links, /dev/console and /dev/null,
    /// and an /init that prints the marker (with the CPU count and the first bytes of /dev/vda), then reboots
    /// (vmmreboot on the command line), powers off (vmmpoweroff) or waits for Ctrl-Alt-Del. With
    /// <paramref name="echo"/> it waits by answering each console line <c>L</c> with <c>echo:L</c> instead.
    /// </summary>
    public static void WriteBusyboxInitramfs(string path, bool echo = false)
    {
        Prerequisites.RequireFile("/bin/busybox", "busybox-static");
        using var file = File.Create(path);
        var cpio = new CpioWriter(file);
        foreach (var dir in new[] { "bin", "dev", "proc", "sys", "tmp" })
        {
            cpio.Directory(dir);
        }

        cpio.CharDevice("dev/console", 5, 1);
        cpio.CharDevice("dev/null", 1, 3);
        cpio.File("bin/busybox", File.ReadAllBytes("/bin/busybox"), executable: true);
        foreach (var applet in new[] { "sh", "mount", "echo", "cat", "grep", "uname", "reboot", "poweroff", "sleep", "head" })
        {
            cpio.Symlink($"bin/{applet}", "busybox");
        }

        cpio.File("init", """
            #!/bin/sh
            mount -t proc proc /proc
            mount -t sysfs sys /sys
            mount -t devtmpfs dev /dev
            echo "FORMATION-GUEST-READY $(uname -r) cpus=$(grep -c ^processor /proc/cpuinfo) disk=$(head -c 13 /dev/vda 2>&1)"
            if grep -q vmmreboot /proc/cmdline; then reboot -f; fi
            if grep -q vmmpoweroff /proc/cmdline; then poweroff -f; fi

            """u8.ToArray().Concat(echo ? "while read line; do echo \"echo:$line\"; done\n"u8.ToArray() : "while true; do sleep 1; done\n"u8.ToArray()).ToArray(),
            executable: true);
        cpio.Finish();
    }
}
