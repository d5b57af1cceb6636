using System.Runtime.InteropServices;

namespace Formation.Silo.Platform;

/// <summary>
/// Which local users act as the cluster's admin when they reach the silo on this host without a credential: root and the
/// uid the silo itself runs as (who can read its data directory, admin credential included, anyway). The one rule the
/// local API (SO_PEERCRED) and the HTTP API (the kernel's socket table) both apply.
/// </summary>
public static partial class LocalAdmins
{
    /// <summary>This process's effective uid.</summary>
    public static long OwnUid { get; } = geteuid();

    /// <summary>True when a peer running as <paramref name="uid"/> (as the kernel reports it) may act as admin.</summary>
    public static bool IsAdmin(long uid) => uid == 0 || uid == OwnUid;

    /// <summary>Who may, for messages: "root and uid 1000", or "root" when the silo runs as root.</summary>
    public static string Describe() => OwnUid == 0 ? "root" : $"root and uid {OwnUid}";

#pragma warning disable SYSLIB1054 // no arguments; DllImport needs no unsafe code
    [DllImport("libc")]
    private static extern uint geteuid();
#pragma warning restore SYSLIB1054
}
