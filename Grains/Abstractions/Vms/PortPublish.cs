using System.Globalization;
using Formation.Errors;

namespace Formation.Vms;

/// <summary>The transport of a published port.</summary>
[GenerateSerializer]
[Alias("formation.publish-protocol")]
public enum PublishProtocol
{
    Tcp = 0,
    Udp = 1,
}

/// <summary>
/// <c>--publish HOSTPORT:GUESTPORT[/udp]</c>: the node forwards <see cref="HostPort"/> on its own addresses to
/// <see cref="GuestPort"/> on the VM. Parsed and checked only by <see cref="Parse"/>/<see cref="TryParse"/>.
/// </summary>
[GenerateSerializer, Immutable]
[Alias("formation.port-publish")]
public sealed record PortPublish(
    [property: Id(0)] int HostPort,
    [property: Id(1)] int GuestPort,
    [property: Id(2)] PublishProtocol Protocol = PublishProtocol.Tcp)
{
    /// <summary>The accepted form, quoted in every error.</summary>
    public const string Form = "HOSTPORT:GUESTPORT[/tcp|/udp], ports 1-65535, e.g. 8080:80 or 5353:53/udp";

    /// <summary>The most ports one VM may publish.</summary>
    public const int MaxPerVm = 64;

    public string ProtocolWord => Protocol == PublishProtocol.Udp ? "udp" : "tcp";

    public override string ToString() => $"{HostPort}:{GuestPort}/{ProtocolWord}";

    /// <summary>Parses one spec; throws an InvalidArgument error naming the accepted form.</summary>
    public static PortPublish Parse(string text) =>
        TryParse(text, out var publish, out var problem) ? publish : throw FormationException.Invalid(problem);

    public static bool TryParse(string? text, out PortPublish publish, out string problem)
    {
        publish = null!;
        var shown = text is null ? "" : text.Length > 40 ? text[..40] + "…" : text;
        problem = $"--publish '{shown}' is not a port mapping: use {Form}.";
        if (string.IsNullOrEmpty(text) || text.Length > 40)
        {
            return false;
        }

        var protocol = PublishProtocol.Tcp;
        var ports = text;
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        if (slash >= 0)
        {
            switch (text[(slash + 1)..])
            {
                case "tcp":
                    break;
                case "udp":
                    protocol = PublishProtocol.Udp;
                    break;
                default:
                    return false;
            }

            ports = text[..slash];
        }

        var parts = ports.Split(':');
        if (parts.Length != 2 || !TryPort(parts[0], out var host, out var hostOut) || !TryPort(parts[1], out var guest, out var guestOut))
        {
            return false;
        }

        if (hostOut || guestOut)
        {
            problem = $"--publish '{shown}': ports must be between 1 and 65535 (use {Form}).";
            return false;
        }

        publish = new PortPublish(host, guest, protocol);
        problem = "";
        return true;
    }

    /// <summary>The problem of a VM's list (too many, or one host port twice); null when it is fine.</summary>
    public static string? CheckList(IReadOnlyList<PortPublish> publish)
    {
        if (publish.Count > MaxPerVm)
        {
            return $"a VM may publish at most {MaxPerVm} ports (got {publish.Count}).";
        }

        foreach (var p in publish)
        {
            if (p.HostPort is < 1 or > 65535 || p.GuestPort is < 1 or > 65535)
            {
                return $"--publish '{p}': ports must be between 1 and 65535 (use {Form}).";
            }
        }

        var twice = publish.GroupBy(p => (p.HostPort, p.Protocol)).FirstOrDefault(g => g.Count() > 1);
        return twice is null ? null : $"--publish: host port {twice.Key.HostPort}/{twice.First().ProtocolWord} is given twice; each host port maps to one guest port.";
    }

    private static bool TryPort(string text, out int port, out bool outOfRange)
    {
        outOfRange = false;
        port = 0;
        if (text.Length is 0 or > 5 || !text.All(char.IsAsciiDigit))
        {
            return false;
        }

        port = int.Parse(text, NumberStyles.None, CultureInfo.InvariantCulture);
        outOfRange = port is < 1 or > 65535;
        return true;
    }
}
