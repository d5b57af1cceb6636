using System.Globalization;
using Formation.Silo.Network;
using Formation.Silo.Platform;

namespace Formation.Bench.Mesh;

/// <summary>
/// The anchor for the overlay's overhead: a WireGuard tunnel between two hosts of an <see cref="Underlay"/> configured
/// by hand — <c>wireguard-go</c> makes the interface, <c>wg set</c> gives it a key, a port and the other end as its one
/// peer (with the keepalive the mesh uses), <c>ip</c> an address and up. Nothing of Formation's runs in it.
/// </summary>
public sealed class HandTunnel
{
    private const int Port = 51821;
    private readonly Underlay _underlay;
    private readonly string _prefix;

    private HandTunnel(Underlay underlay, string prefix)
    {
        _underlay = underlay;
        _prefix = prefix;
    }

    /// <summary>
    /// Host <paramref name="host"/>'s end. Unique on the machine, not only in its namespace: wireguard-go's control socket
    /// is /var/run/wireguard/NAME.sock, in the mount namespace all hosts share.
    /// </summary>
    public string Interface(int host) => $"{_underlay.Namespace(host)}w";

    /// <summary>Host <paramref name="host"/>'s address inside the tunnel.</summary>
    public string Address(int host) => $"{_prefix}.{host}";

    /// <summary>Makes the tunnel between <paramref name="a"/> and <paramref name="b"/>, inside addresses <paramref name="prefix"/>.A and .B (/24).</summary>
    public static async Task<HandTunnel> CreateAsync(Underlay underlay, int a, int b, string prefix, string scratch)
    {
        var tunnel = new HandTunnel(underlay, prefix);
        Directory.CreateDirectory(scratch);
        var keys = new Dictionary<int, (string Path, string Public)>();
        foreach (var host in new[] { a, b })
        {
            var key = await ProcessRunner.CaptureAsync("wg", ["genkey"], CancellationToken.None);
            var path = Path.Combine(scratch, $"hand-{host}.key");
            File.WriteAllText(path, key + "\n");
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            keys[host] = (path, await WireGuardInterface.PublicKeyAsync(key, CancellationToken.None));
        }

        foreach (var (host, other) in new[] { (a, b), (b, a) })
        {
            // wireguard-go daemonises; its interface (and so the daemon) goes when the underlay deletes it.
            await underlay.InAsync(host, "wireguard-go", tunnel.Interface(host));
            await underlay.InAsync(host, "wg", "set", tunnel.Interface(host), "private-key", keys[host].Path, "listen-port", Port.ToString(CultureInfo.InvariantCulture),
                "peer", keys[other].Public, "allowed-ips", tunnel.Address(other) + "/32", "endpoint", $"{underlay.Address(other)}:{Port}",
                "persistent-keepalive", "25");
            await underlay.InAsync(host, "ip", "addr", "add", tunnel.Address(host) + "/24", "dev", tunnel.Interface(host));
            await underlay.InAsync(host, "ip", "link", "set", tunnel.Interface(host), "up");
        }

        return tunnel;
    }
}
