namespace Formation.Testing;

/// <summary>
/// What tests need from the machine, in one place. Only missing hardware skips a test (<see cref="RequireKvm"/>): its
/// reason starts with <see cref="KvmSkipPrefix"/>, the one prefix scripts/allowed-skips.txt lets through in CI.
/// Anything else a test needs (a Debian package, root, TAP, the guest kernel, PostgreSQL) is installed or started by
/// scripts/test, so when it is missing the test fails (<see cref="Require"/>) saying what is missing and how to get it.
/// </summary>
public static class Prerequisites
{
    /// <summary>The stable start of every hardware skip reason (matched by scripts/allowed-skips.txt).</summary>
    public const string KvmSkipPrefix = "needs /dev/kvm";

    /// <summary>How the failure of a missing prerequisite ends: the way to get it.</summary>
    public const string Remedy = "run the tests through scripts/test, which installs and starts what they need (scripts/apt-packages.txt)";

    private static readonly Lazy<bool> Kvm = new(CanOpenKvm);

    /// <summary>True when /dev/kvm exists and opens read-write (hardware virtualization is usable).</summary>
    public static bool KvmAvailable => Kvm.Value;

    /// <summary>Skips the test unless /dev/kvm opens read-write; <paramref name="what"/> says what needs it.</summary>
    public static void RequireKvm(string what) => Assert.SkipUnless(KvmAvailable, KvmSkipReason(what));

    /// <summary>The reason a test without /dev/kvm skips with.</summary>
    public static string KvmSkipReason(string what) =>
        $"{KvmSkipPrefix} (hardware virtualization), which cannot be opened read-write on this machine: {what}";

    /// <summary>Fails the test unless <paramref name="present"/>; <paramref name="missing"/> names what is missing.</summary>
    public static void Require(bool present, string missing)
    {
        if (!present)
        {
            Assert.Fail($"{missing}: {Remedy}.");
        }
    }

    /// <summary>Fails the test unless it runs as root; <paramref name="why"/> says what needs root.</summary>
    public static void RequireRoot(string why) =>
        Require(Environment.UserName == "root", $"the test runs as {Environment.UserName}, and {why} needs root");

    /// <summary>Fails the test unless <paramref name="path"/> exists; <paramref name="package"/> is the Debian package holding it.</summary>
    public static void RequireFile(string path, string package) =>
        Require(File.Exists(path), $"{path} is missing (Debian package {package})");

    /// <summary>Fails the test unless /dev/net/tun exists (TAP devices for VM networking).</summary>
    public static void RequireTun() =>
        Require(File.Exists("/dev/net/tun"), "/dev/net/tun is missing (TAP devices; scripts/test loads the tun module)");

    private static bool CanOpenKvm()
    {
        try
        {
            using var handle = File.OpenHandle("/dev/kvm", FileMode.Open, FileAccess.ReadWrite);
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
