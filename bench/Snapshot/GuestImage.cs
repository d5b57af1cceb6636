using Formation.Kvm.Native.Tests.Support;

namespace Formation.Bench.Snapshot;

/// <summary>
/// The benchmark's initramfs: static busybox and an /init that prints the readiness line, fills <c>touch=N</c> MiB of
/// RAM with random bytes (a file on the initramfs root, which lives in memory; random, so QEMU cannot skip the pages
/// as zero), says <see cref="Filled"/>, then prints a tick every 0.2 s.
/// </summary>
internal static class GuestImage
{
    public const string Ready = "FORMATION-GUEST-READY";
    public const string Filled = "BENCH-FILLED";
    public const string Tick = "bench-tick";

    public static void Write(string path)
    {
        using var file = File.Create(path);
        var cpio = new CpioWriter(file);
        foreach (var dir in new[] { "bin", "dev", "proc" })
        {
            cpio.Directory(dir);
        }

        cpio.CharDevice("dev/console", 5, 1);
        cpio.CharDevice("dev/null", 1, 3);
        cpio.CharDevice("dev/urandom", 1, 9);
        cpio.File("bin/busybox", File.ReadAllBytes("/bin/busybox"), executable: true);
        foreach (var applet in new[] { "sh", "mount", "echo", "sleep", "dd", "cat", "sed" })
        {
            cpio.Symlink($"bin/{applet}", "busybox");
        }

        cpio.File("init", System.Text.Encoding.ASCII.GetBytes($$"""
            #!/bin/sh
            mount -t proc proc /proc
            echo {{Ready}}
            touch=$(sed -n 's/.*touch=\([0-9]*\).*/\1/p' /proc/cmdline)
            [ -n "$touch" ] && [ "$touch" -gt 0 ] && dd if=/dev/urandom of=/fill bs=1M count=$touch 2>/dev/null
            echo {{Filled}}
            n=0
            while :; do n=$((n+1)); echo {{Tick}}=$n; sleep 0.2; done
            """), executable: true);
        cpio.Finish();
    }
}
