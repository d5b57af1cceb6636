namespace Formation.Vmm;

/// <summary>formation-vmm's command line.</summary>
internal sealed record Options(string ConfigPath, bool Boot, string? LogFile, bool Verbose, bool NoSetsid, uint? RunAsUid = null, uint? RunAsGid = null,
    bool Seccomp = true, bool TestingSeccompProbe = false)
{
    public const string Usage = """
        usage: formation-vmm --config <vm.json> [--no-boot] [--log <file>] [--verbose] [--no-setsid]
                             [--run-as <uid>[:<gid>]] [--no-seccomp]

          --config <file>  VM config (JSON; see Kvm.Native/README.md)
          --no-boot        create the VM but wait for {"cmd":"boot"} on the control socket
          --log <file>     VMM log to this file instead of stderr
          --verbose        debug logging
          --no-setsid      stay in the caller's session (default: setsid, so the VMM outlives its parent)
          --run-as <uid>[:<gid>]  once the VM is set up, become this user (no groups, no capabilities)
          --no-seccomp     do not install the system-call allow-list (benchmarks of its cost only)

        exit status: 0 power-off, 2 usage, 3 setup error, 10 reset, 11 triple fault, 12 guest crash,
                     13 emulation error, 14 killed, 15 shutdown timeout, 16 VMM error
        """;

    /// <summary>Parses arguments; null with <paramref name="error"/> set when they are wrong.</summary>
    public static Options? Parse(string[] args, out string? error)
    {
        error = null;
        string? config = null, log = null;
        bool boot = true, verbose = false, noSetsid = false, seccomp = true, probe = false;
        uint? uid = null, gid = null;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--config" when i + 1 < args.Length:
                    config = args[++i];
                    break;
                case "--log" when i + 1 < args.Length:
                    log = args[++i];
                    break;
                case "--no-boot":
                    boot = false;
                    break;
                case "--verbose":
                    verbose = true;
                    break;
                case "--no-setsid":
                    noSetsid = true;
                    break;
                case "--run-as" when i + 1 < args.Length:
                    if (!TryParseIds(args[++i], out uid, out gid))
                    {
                        error = $"--run-as '{args[i]}' is not <uid>[:<gid>] with numeric ids other than 0";
                        return null;
                    }

                    break;
                case "--no-seccomp":
                    seccomp = false;
                    break;
                case "--testing-seccomp-probe":
                    // Tests only: SIGUSR2 makes the VMM call execve, which its seccomp filter must punish with SIGSYS.
                    probe = true;
                    break;
                case "-h" or "--help":
                    error = "";
                    return null;
                default:
                    error = $"unknown or incomplete argument '{args[i]}'";
                    return null;
            }
        }

        if (config is null)
        {
            error = "--config is required";
            return null;
        }

        return new Options(config, boot, log, verbose, noSetsid, uid, gid, seccomp, probe);
    }

    private static bool TryParseIds(string text, out uint? uid, out uint? gid)
    {
        var parts = text.Split(':');
        uid = gid = null;
        if (parts.Length > 2 || !uint.TryParse(parts[0], System.Globalization.NumberStyles.None, null, out var u) || u == 0)
        {
            return false;
        }

        uid = u;
        gid = u;
        if (parts.Length == 2)
        {
            if (!uint.TryParse(parts[1], System.Globalization.NumberStyles.None, null, out var g) || g == 0)
            {
                return false;
            }

            gid = g;
        }

        return true;
    }
}
