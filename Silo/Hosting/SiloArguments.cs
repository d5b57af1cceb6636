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
        ["--http-port"] = ("Formation:HttpApi:Port", "loopback port of the HTTP API (default 30080; 0: none)"),
        ["--edge-port"] = ("Formation:Edge:HttpPort", "HTTP port of the edge proxy on every address (default 80, skipped with a warning when taken; 0: none)"),
        ["--edge-tls-port"] = ("Formation:Edge:HttpsPort", "HTTPS port of the edge proxy for routes with a certificate (default 443, skipped with a warning when taken; 0: none)"),
        ["--edge-h2c-port"] = ("Formation:Edge:H2cPort", "Cleartext HTTP/2 (h2c, prior knowledge) port of the edge proxy on every address (default 0: none)"),
        ["--dns-public"] = ("Formation:Dns:PublicListen", "ADDRESS[:PORT] of the public DNS listener (split horizon; default off): <service>.ZONE -> the nodes serving it"),
        ["--dns-public-zone"] = ("Formation:Dns:PublicZone", "the zone the public DNS listener answers for (with --dns-public), e.g. example.com"),
        ["--advertise"] = ("Formation:AdvertisedAddress", "IP address other silos and clients use to reach this one"),
        ["--postgres"] = ("Formation:Postgres", "PostgreSQL connection string (cluster mode)"),
        ["--driver"] = ("Formation:Driver", "hypervisor driver: auto (default), kvm, qemu, sim, none"),
        ["--mesh"] = ("Formation:Mesh:Mode", "WireGuard mesh between nodes: auto (default: on in cluster mode off loopback), on, off"),
        ["--mesh-port"] = ("Formation:Mesh:ListenPort", "UDP port of the mesh's WireGuard interface (default 51820)"),
        ["--join-token"] = ("Formation:JoinToken", "cluster mode, first start of a new node: a one-time token from `form node token create`, exchanged for this node's certificate"),
        ["--join-address"] = ("Formation:JoinAddress", "HOST:PORT of the cluster CA holder's join endpoint (default: the one recorded in the cluster's database)"),
        ["--join-port"] = ("Formation:JoinPort", "join endpoint port of the node that holds the cluster CA (TLS, every address; default 30443)"),
        ["--cluster-id"] = ("Formation:ClusterId", "Orleans cluster id (default formation)"),
        ["--service-id"] = ("Formation:ServiceId", "Orleans service id (default formation)"),
        ["--metrics-port"] = ("Formation:Metrics:Port", "loopback port of the Prometheus endpoint /metrics (default 9464, 0 = off)"),
        ["--otlp-endpoint"] = ("Formation:Metrics:OtlpEndpoint", "also push metrics to this OpenTelemetry collector, e.g. http://127.0.0.1:4318 (OTLP/HTTP; default off)"),
        ["--p2p-port"] = ("Formation:Discovery:Port", "libp2p TCP port (default 4001)"),
        ["--join"] = ("Formation:Discovery:Join", "find the cluster through this peer: /ip4/…/tcp/…/p2p/12D3KooW… (repeatable)"),
        ["--mdns"] = ("Formation:Discovery:Mdns", "also find peers by mDNS on the local network (a switch; default off)"),
    };

    /// <summary>Flags that take no value (<c>--mdns</c> means true; <c>--mdns=false</c> also works).</summary>
    public static readonly IReadOnlySet<string> Switches = new HashSet<string> { "--mdns" };

    /// <summary>Flags that may be given more than once; their values are joined with commas.</summary>
    public static readonly IReadOnlySet<string> Repeatable = new HashSet<string> { "--join" };

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
            else if (Switches.Contains(arg))
            {
                value = "true";
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

            values[target.Key] = Repeatable.Contains(flag) && values.TryGetValue(target.Key, out var earlier) ? $"{earlier},{value}" : value;
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
