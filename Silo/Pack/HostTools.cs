using Formation.Formfiles;

namespace Formation.Silo.Pack;

/// <summary>The host programs the builder runs, checked before a build so a missing one is a clear error.</summary>
internal static class HostTools
{
    private static readonly (string Program, string Package)[] Common =
        [("unshare", "util-linux"), ("mount", "mount"), ("capsh", "libcap2-bin"), ("mknod", "coreutils")];

    /// <summary>Throws <see cref="BuildStepException"/> naming the Debian package to install when a tool is missing.</summary>
    public static void Require(BaseImageKind kind)
    {
        var needed = new List<(string Program, string Package)>(Common);
        needed.AddRange(kind == BaseImageKind.Tiny ? [("cpio", "cpio")] : [("mmdebstrap", "mmdebstrap"), ("mkfs.ext4", "e2fsprogs")]);
        var missing = needed.Where(t => Find(t.Program) is null).ToList();
        if (missing.Count > 0)
        {
            throw new BuildStepException("the image builder needs " + string.Join(", ", missing.Select(t => $"'{t.Program}'"))
                + " on this node: apt-get install " + string.Join(' ', missing.Select(t => t.Package).Distinct()));
        }

        if (Environment.UserName != "root")
        {
            throw new BuildStepException("the image builder must run as root (it uses mount namespaces, overlayfs and mknod)");
        }
    }

    private static string? Find(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/sbin:/usr/bin:/sbin:/bin").Split(':')
            .Concat(["/usr/sbin", "/sbin"])
            .Select(dir => Path.Combine(dir, program))
            .FirstOrDefault(File.Exists);
}
