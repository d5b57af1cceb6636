using System.Net;

namespace Formation.Silo.Dns;

/// <summary>The host's resolvers, from resolv.conf's <c>nameserver</c> lines (what the forwarder asks by default).</summary>
public static class ResolvConf
{
    public const string DefaultPath = "/etc/resolv.conf";

    /// <summary>The nameserver addresses of a resolv.conf text, in order, without duplicates.</summary>
    public static IReadOnlyList<IPAddress> Parse(string text)
    {
        var servers = new List<IPAddress>();
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Split('#', ';')[0].Trim();
            var parts = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length >= 2 && parts[0] == "nameserver" && IPAddress.TryParse(parts[1].Split('%')[0], out var address) && !servers.Contains(address))
            {
                servers.Add(address);
            }
        }

        return servers;
    }

    /// <summary>The nameservers of a resolv.conf file; none when it is missing or unreadable.</summary>
    public static IReadOnlyList<IPAddress> Read(string path = DefaultPath)
    {
        try
        {
            return Parse(File.ReadAllText(path));
        }
        catch (IOException)
        {
            return [];
        }
        catch (UnauthorizedAccessException)
        {
            return [];
        }
    }
}
