namespace Formation.Silo.Hosting;

/// <summary>The silo's command-line flags, mapped onto configuration keys. Unknown flags are errors.</summary>
public static class SiloArguments
{
    public static readonly IReadOnlyDictionary<string, (string Key, string Help)> Flags = new Dictionary<string, (string, string)>
    {
        ["--node-id"] = ("Formation:NodeId", "this host's node id (default: the host name)"),
        ["--data-dir"] = ("Formation:DataDirectory", "where state, VM files and images live (default: /var/lib/formation as root)"),
        ["--mode"] = ("Formation:Mode", "embedded (default: one host, SQLite) or cluster (PostgreSQL)"),
        ["--silo-port"] = ("Formation:SiloPort", "silo-to-silo port (default 11111)"),
        ["--gateway-port"] = ("Formation:GatewayPort", "client gateway port (default 30000)"),
        ["--advertise"] = ("Formation:AdvertisedAddress", "IP address other silos and clients use to reach this one"),
        ["--postgres"] = ("Formation:Postgres", "PostgreSQL connection string (cluster mode)"),
        ["--driver"] = ("Formation:Driver", "hypervisor driver: auto (default), kvm, qemu, sim, none"),
        ["--mesh"] = ("Formation:Mesh:Mode", "WireGuard mesh between nodes: auto (default: on in cluster mode off loopback), on, off"),
        ["--mesh-port"] = ("Formation:Mesh:ListenPort", "UDP port of the mesh's WireGuard interface (default 51820)"),
        ["--cluster-id"] = ("Formation:ClusterId", "Orleans cluster id (default formation)"),
        ["--service-id"] = ("Formation:ServiceId", "Orleans service id (default formation)"),
    };

    /// <summary>Parses <c>--flag value</c> and <c>--flag=value</c>; returns config pairs or an error message.</summary>
    public static bool TryParse(string[] args, out Dictionary<string, string?> values, out bool help, out string? error)
    {
        values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        help = false;
        error = null;
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            if (arg is "-h" or "--help")
            {
                help = true;
                continue;
            }

            string flag = arg, value;
            var eq = arg.IndexOf('=');
            if (eq > 0)
            {
                flag = arg[..eq];
                value = arg[(eq + 1)..];
            }
            else if (i + 1 < args.Length && Flags.ContainsKey(arg))
            {
                value = args[++i];
            }
            else
            {
                error = Flags.ContainsKey(arg) ? $"{arg} needs a value." : $"unknown argument '{arg}'.";
                return false;
            }

            if (!Flags.TryGetValue(flag, out var target))
            {
                error = $"unknown option '{flag}'.";
                return false;
            }

            values[target.Key] = value;
        }

        return true;
    }

    public static string Usage()
    {
        var lines = new List<string>
        {
            "formation-silo — runs this host's Formation node (an Orleans silo).",
            "",
            "Usage: formation-silo [options]",
            "",
            "Options (each also settable as Formation__<Name> environment variable or in appsettings.json):",
        };
        lines.AddRange(Flags.Select(f => $"  {f.Key,-16} {f.Value.Help}"));
        lines.Add("  -h, --help       show this help");
        return string.Join(Environment.NewLine, lines);
    }
}
