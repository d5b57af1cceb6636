using Formation.Kvm.Native.Tests.Support;

namespace Formation.Bench.Vmm;

/// <summary>The benchmark's initramfs: static busybox, applet links, device nodes, an /init that prints the marker and reboots (or answers console lines).</summary>
internal static class Initramfs
{
    public const string Marker = "FORMATION-GUEST-READY";

    public static void Write(string path) => Write(path, """
        #!/bin/sh
        echo FORMATION-GUEST-READY
        sleep 1
        reboot -f
        """);

    /// <summary>For the snapshot benchmark: the marker, then each console line <c>L</c> answered with <c>echo:L</c> for ever.</summary>
    public static void WriteEcho(string path) => Write(path, """
        #!/bin/sh
        echo FORMATION-GUEST-READY
        while read line; do echo "echo:$line"; done
        """);

    private static void Write(string path, string init)
    {
        using var file = File.Create(path);
        var cpio = new CpioWriter(file);
        foreach (var dir in new[] { "bin", "dev", "proc", "sys" })
        {
            cpio.Directory(dir);
        }

        cpio.CharDevice("dev/console", 5, 1);
        cpio.CharDevice("dev/null", 1, 3);
        cpio.File("bin/busybox", File.ReadAllBytes("/bin/busybox"), executable: true);
        foreach (var applet in new[] { "sh", "mount", "echo", "reboot", "sleep" })
        {
            cpio.Symlink($"bin/{applet}", "busybox");
        }

        cpio.File("init", System.Text.Encoding.ASCII.GetBytes(init + "\n"), executable: true);
        cpio.Finish();
    }
}
