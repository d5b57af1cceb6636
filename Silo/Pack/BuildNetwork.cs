using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Formation.Networking;
using Formation.Silo.Platform;

namespace Formation.Silo.Pack;

/// <summary>
/// Egress-only networking for INSTALL steps. A step gets a slot of <see cref="PackOptions.BuildNetworkSubnet"/>
/// (a /30: host end .1, step .2): a veth pair <c>fpk&lt;slot&gt;</c> whose other end becomes the step's <c>eth0</c>,
/// a default route through the host end, and an nftables table <c>formation_build_&lt;slot&gt;</c> that masquerades the
/// step's traffic and drops everything it sends to the host itself (any address of it, IPv4 and IPv6), to private,
/// loopback, link-local and multicast ranges (the node's bridges, the mesh, other builds, metadata services) except
/// DNS to the configured resolvers, and any connection opened towards the step.
/// A slot is held by an exclusive lock on <c>/run/formation/build-net/&lt;slot&gt;.lock</c>, host-wide, so concurrent
/// builders of any process never share one; the kernel drops the lock when its holder dies, so a link or table
/// whose slot lock is free is stale and removed (every lease sweeps them).
/// </summary>
internal sealed class BuildNetwork(PackOptions options)
{
    public const string LinkPrefix = "fpk";
    public const string TablePrefix = "formation_build_";
    public const string Family = "inet";
    public const string LockDirectory = "/run/formation/build-net";

    /// <summary>Destinations a step may never reach (besides the host itself): private, shared, loopback, link-local, multicast, reserved.</summary>
    public static readonly string[] BlockedRanges =
        ["0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12", "192.168.0.0/16", "224.0.0.0/3"];

    /// <summary>
    /// Checks the options and the host, then takes a free slot and sets up its host side (veth, rules, forwarding);
    /// the step's resolv.conf is written into <paramref name="scratch"/>, which the lease deletes.
    /// </summary>
    public async Task<BuildNetworkLease> LeaseAsync(string scratch, CancellationToken cancellationToken)
    {
        try
        {
            return await TryLeaseAsync(scratch, cancellationToken);
        }
        catch
        {
            HostPaths.DeleteTree(scratch);
            throw;
        }
    }

    private async Task<BuildNetworkLease> TryLeaseAsync(string scratch, CancellationToken cancellationToken)
    {
        var subnet = Subnet(options.BuildNetworkSubnet);
        var nameServers = NameServers(options.BuildNameServers);
        await CheckRoutesAsync(subnet, cancellationToken);
        Directory.CreateDirectory(LockDirectory);
        await SweepStaleAsync(cancellationToken);

        var slots = (int)(subnet.Size / 4);
        for (var slot = 0; slot < slots; slot++)
        {
            var held = TryLock(slot);
            if (held is null)
            {
                continue;
            }

            var lease = new BuildNetworkLease(slot, subnet.Network + (uint)(slot * 4), held);
            try
            {
                await RemoveAsync(slot, cancellationToken); // a dead holder's leftovers
                var resolv = Path.Combine(scratch, $"resolv-{slot}.conf");
                await File.WriteAllTextAsync(resolv, string.Concat(nameServers.Select(n => $"nameserver {n}\n")), cancellationToken);
                File.SetUnixFileMode(resolv, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
                lease.ResolvConf = resolv;
                await IpBatchAsync(null, cancellationToken,
                    $"link add {lease.HostLink} type veth peer name {lease.PeerLink}",
                    $"addr add {lease.HostAddress}/30 dev {lease.HostLink}",
                    $"link set {lease.HostLink} up");
                var ipv6 = $"/proc/sys/net/ipv6/conf/{lease.HostLink}/disable_ipv6";
                if (File.Exists(ipv6))
                {
                    await File.WriteAllTextAsync(ipv6, "1\n", cancellationToken);
                }

                await HostNft.LoadAsync(lease.Table, Ruleset(lease, nameServers), cancellationToken);
                await HostForwarding.EnableIpv4Async(cancellationToken);
                return lease;
            }
            catch
            {
                await lease.DisposeAsync();
                throw;
            }
        }

        throw new BuildStepException(
            $"all {slots} build network slots of {subnet} (Formation:Pack:BuildNetworkSubnet) are in use by running INSTALL steps; wait for one to finish or give the option a larger range");
    }

    /// <summary>The step's table (public for tests).</summary>
    public static string Ruleset(BuildNetworkLease lease, IReadOnlyList<IPAddress> nameServers)
    {
        var link = lease.HostLink;
        var dns = nameServers.Count == 0 ? "" :
            $"    iifname \"{link}\" ip daddr {{ {string.Join(", ", nameServers)} }} meta l4proto {{ udp, tcp }} th dport 53 accept\n";
        return HostNft.Replacing(Family, lease.Table) +
            $"table {Family} {lease.Table} {{\n" +
            $"  chain input {{\n    type filter hook input priority filter - 10; policy accept;\n" +
            $"    iifname \"{link}\" drop\n  }}\n" +
            $"  chain forward {{\n    type filter hook forward priority filter - 10; policy accept;\n" +
            $"    iifname \"{link}\" meta nfproto ipv6 drop\n" +
            dns +
            $"    iifname \"{link}\" ip daddr {{ {string.Join(", ", BlockedRanges)} }} drop\n" +
            $"    oifname \"{link}\" ct state established,related accept\n" +
            $"    oifname \"{link}\" drop\n  }}\n" +
            $"  chain postrouting {{\n    type nat hook postrouting priority srcnat; policy accept;\n" +
            $"    ip saddr {lease.StepAddress} oifname != \"{link}\" masquerade\n  }}\n" +
            "}\n";
    }

    /// <summary>Moves the step's end into the network namespace of <paramref name="pid"/> and configures it there.</summary>
    public static async Task AttachAsync(BuildNetworkLease lease, int pid, CancellationToken cancellationToken)
    {
        var target = pid.ToString(CultureInfo.InvariantCulture);
        await IpBatchAsync(null, cancellationToken, $"link set {lease.PeerLink} netns {target}");
        await IpBatchAsync(target, cancellationToken,
            $"link set {lease.PeerLink} name eth0",
            $"addr add {lease.StepAddress}/30 dev eth0",
            "link set eth0 up",
            "link set lo up",
            $"route add default via {lease.HostAddress}");
    }

    /// <summary>Removes a slot's link and table (either may be missing).</summary>
    public static async Task RemoveAsync(int slot, CancellationToken cancellationToken)
    {
        await ProcessRunner.RunAsync("ip", ["link", "del", LinkPrefix + slot.ToString(CultureInfo.InvariantCulture)], null, 5, TimeSpan.FromSeconds(30), cancellationToken);
        await HostNft.DeleteAsync(Family, TablePrefix + slot.ToString(CultureInfo.InvariantCulture), cancellationToken);
    }

    /// <summary>Links and tables of slots nobody holds: left by a builder that was killed.</summary>
    private static async Task SweepStaleAsync(CancellationToken cancellationToken)
    {
        var lines = new List<string>();
        await ProcessRunner.RunAsync("ip", ["-o", "link", "show", "type", "veth"], lines.Add, 10_000, TimeSpan.FromSeconds(30), cancellationToken);
        var slots = lines.Select(l => l.Split(':', 3) is [_, var name, _] ? name.Trim().Split('@')[0] : "")
            .Where(n => n.StartsWith(LinkPrefix, StringComparison.Ordinal)).Select(n => SlotOf(n[LinkPrefix.Length..]))
            .Concat((await HostNft.TablesAsync(Family, TablePrefix, cancellationToken)).Select(t => SlotOf(t[TablePrefix.Length..])))
            .OfType<int>().Distinct();
        foreach (var slot in slots)
        {
            using var held = TryLock(slot);
            if (held is not null)
            {
                await RemoveAsync(slot, cancellationToken);
            }
        }
    }

    private static int? SlotOf(string digits) =>
        int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var slot) && slot.ToString(CultureInfo.InvariantCulture) == digits ? slot : null;

    private static FileStream? TryLock(int slot)
    {
        try
        {
            return new FileStream(Path.Combine(LockDirectory, $"{slot}.lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            return null; // held by a running step
        }
    }

    private static Ipv4Subnet Subnet(string text)
    {
        if (!Ipv4Subnet.TryParse(text, out var subnet) || subnet.ToString() != text)
        {
            throw new BuildStepException($"Formation:Pack:BuildNetworkSubnet '{text}' is not an IPv4 network like 10.78.0.0/24 (prefix 16–29, no host bits)");
        }

        if (subnet.Overlaps(NetworkPlan.Overlay))
        {
            throw new BuildStepException($"Formation:Pack:BuildNetworkSubnet {text} overlaps the cluster's overlay {NetworkPlan.Overlay}; pick another private range");
        }

        return subnet;
    }

    /// <summary>The resolvers steps use: configured, or the host's; a loopback resolver cannot be reached from a step.</summary>
    private static List<IPAddress> NameServers(string[] configured)
    {
        var source = configured.Length > 0 ? "Formation:Pack:BuildNameServers" : "/etc/resolv.conf";
        var texts = configured.Length > 0 ? configured : File.Exists("/etc/resolv.conf")
            ? [.. File.ReadAllLines("/etc/resolv.conf").Select(l => l.Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries))
                .Where(p => p is ["nameserver", _, ..]).Select(p => p[1])]
            : [];
        var servers = new List<IPAddress>();
        foreach (var text in texts)
        {
            if (!IPAddress.TryParse(text, out var address) || address.AddressFamily != AddressFamily.InterNetwork)
            {
                if (configured.Length > 0)
                {
                    throw new BuildStepException($"{source}: '{text}' is not an IPv4 address");
                }

                continue; // an IPv6 resolver of the host: steps have no IPv6
            }

            if (IPAddress.IsLoopback(address))
            {
                throw new BuildStepException(
                    $"the resolver {address} in {source} is on the host's loopback, which INSTALL steps cannot reach from their own network namespace; " +
                    "set Formation:Pack:BuildNameServers to a resolver the host routes to (e.g. the upstream servers in /run/systemd/resolve/resolv.conf)");
            }

            servers.Add(address);
        }

        if (servers.Count == 0)
        {
            throw new BuildStepException($"no IPv4 resolver in {source} for INSTALL steps; set Formation:Pack:BuildNameServers");
        }

        return servers;
    }

    /// <summary>The range must not overlap any route of the host other than the build links' own.</summary>
    private static async Task CheckRoutesAsync(Ipv4Subnet subnet, CancellationToken cancellationToken)
    {
        foreach (var (route, device) in await HostRoutes.Ipv4Async(cancellationToken))
        {
            if (!device.StartsWith(LinkPrefix, StringComparison.Ordinal) && Overlaps(route, subnet))
            {
                throw new BuildStepException(
                    $"Formation:Pack:BuildNetworkSubnet {subnet} overlaps the host's route {route} on {device}; pick a range the host does not use");
            }
        }
    }

    private static bool Overlaps(string cidr, Ipv4Subnet subnet)
    {
        var slash = cidr.IndexOf('/');
        if (!IPAddress.TryParse(cidr[..slash], out var ip) || ip.AddressFamily != AddressFamily.InterNetwork
            || !int.TryParse(cidr[(slash + 1)..], CultureInfo.InvariantCulture, out var prefix) || prefix is < 0 or > 32)
        {
            return false;
        }

        var b = ip.GetAddressBytes();
        var network = (uint)(b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3]);
        var common = Math.Min(prefix, subnet.PrefixLength);
        var mask = common == 0 ? 0 : uint.MaxValue << (32 - common);
        return (network & mask) == (subnet.Network & mask);
    }

    private static async Task IpBatchAsync(string? netnsOfPid, CancellationToken cancellationToken, params string[] commands)
    {
        var batch = string.Join('\n', commands) + "\n";
        var (file, arguments) = netnsOfPid is null
            ? ("ip", new[] { "-batch", "-" })
            : ("nsenter", ["--target", netnsOfPid, "--net", "--", "ip", "-batch", "-"]);
        var result = await ProcessRunner.RunAsync(file, arguments, null, 10, TimeSpan.FromSeconds(30), cancellationToken,
            writeStdin: (stdin, ct) => stdin.WriteAsync(System.Text.Encoding.ASCII.GetBytes(batch), ct).AsTask());
        if (result.ExitCode != 0)
        {
            throw new BuildStepException($"could not set up the step's network ({commands[0]}): {string.Join(" | ", result.OutputTail)}");
        }
    }
}
