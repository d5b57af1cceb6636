namespace Formation.Vmm;

/// <summary>formation-vmm's command line.</summary>
internal sealed record Options(string ConfigPath, bool Boot, string? LogFile, bool Verbose, bool NoSetsid)
{
    public const string Usage = """
        usage: formation-vmm --config <vm.json> [--no-boot] [--log <file>] [--verbose] [--no-setsid]

          --config <file>  VM config (JSON; see Kvm.Native/README.md)
          --no-boot        create the VM but wait for {"cmd":"boot"} on the control socket
          --log <file>     VMM log to this file instead of stderr
          --verbose        debug logging
          --no-setsid      stay in the caller's session (default: setsid, so the VMM outlives its parent)

        exit status: 0 power-off, 2 usage, 3 setup error, 10 reset, 11 triple fault, 12 guest crash,
                     13 emulation error, 14 killed, 15 shutdown timeout, 16 VMM error
        """;

    /// <summary>Parses arguments; null with <paramref name="error"/> set when they are wrong.</summary>
    public static Options? Parse(string[] args, out string? error)
    {
        error = null;
        string? config = null, log = null;
        bool boot = true, verbose = false, noSetsid = false;
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

        return new Options(config, boot, log, verbose, noSetsid);
    }
}
