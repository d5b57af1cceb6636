using Formation.Images;
using Formation.Silo.Platform;

namespace Formation.Silo.Pack;

/// <summary>
/// Finds the Formation guest kernel — the one place that decides. Order: <see cref="PackOptions.GuestKernelPath"/>,
/// then the <c>FORMATION_GUEST_KERNEL</c> environment variable, then
/// <c>/var/cache/formation/guest-kernel/current/bzImage</c> (built by <c>scripts/build-guest-kernel</c>).
/// A directory means its <c>bzImage</c>. The result is the fully resolved path (not the moving <c>current</c> link).
/// </summary>
public static class GuestKernelLocator
{
    public const string EnvironmentVariable = "FORMATION_GUEST_KERNEL";
    public const string DefaultPath = "/var/cache/formation/guest-kernel/current/bzImage";

    /// <summary>The configured or default kernel path (which may not exist).</summary>
    public static string CandidatePath(PackOptions? options = null)
    {
        var path = options?.GuestKernelPath;
        if (string.IsNullOrEmpty(path))
        {
            path = Environment.GetEnvironmentVariable(EnvironmentVariable);
        }

        if (string.IsNullOrEmpty(path))
        {
            path = DefaultPath;
        }

        return Directory.Exists(path) ? Path.Combine(path, "bzImage") : path;
    }

    /// <summary>The resolved kernel file, or null when there is none.</summary>
    public static string? TryResolve(PackOptions? options = null)
    {
        var candidate = CandidatePath(options);
        if (!File.Exists(candidate))
        {
            return null;
        }

        return HostPaths.RealPath(candidate);
    }

    /// <summary>Path and digest for an image manifest, or null when there is no kernel.</summary>
    public static async Task<KernelReference?> TryReferenceAsync(PackOptions? options, CancellationToken cancellationToken)
    {
        var path = TryResolve(options);
        return path is null ? null : new KernelReference(path, PackDigest.Format(await PackDigest.FileHexAsync(path, cancellationToken)));
    }
}
