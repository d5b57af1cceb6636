using Formation.Kvm.Native.Tests.Support;

namespace Formation.Bench.Vmm;

/// <summary>The benchmark's initramfs: static busybox, applet links, device nodes, an /init that prints the marker and reboots.</summary>
internal static class Initramfs
{
    public const string Marker = "FORMATION-GUEST-READY";

    public static void Write(string path)
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

        cpio.File("init", """
            #!/bin/sh
            echo FORMATION-GUEST-READY
            sleep 1
            reboot -f
            """u8.ToArray(), executable: true);
        cpio.Finish();
    }
}
