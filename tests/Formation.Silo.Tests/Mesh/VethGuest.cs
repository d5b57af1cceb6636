using Formation.Silo.Platform;

namespace Formation.Silo.Tests.Mesh;

/// <summary>
/// A stand-in "guest" for live nftables tests: a network namespace behind a veth pair, <c>{prefix}.1/30</c> on the
/// host's end and <c>{prefix}.2/30</c> (loopback up, default route via the host) inside. Disposing removes both.
/// </summary>
public sealed class VethGuest : IAsyncDisposable
{
    private VethGuest(string tag, string prefix)
    {
        Namespace = "fg" + tag;
        HostLink = "fgh" + tag;
        HostAddress = prefix + ".1";
        GuestAddress = prefix + ".2";
    }

    public string Namespace { get; }

    /// <summary>The host's end of the veth pair.</summary>
    public string HostLink { get; }

    public string HostAddress { get; }

    public string GuestAddress { get; }

    /// <param name="prefix">The first three octets of the pair's /30, e.g. <c>10.251.7</c>.</param>
    public static async Task<VethGuest> CreateAsync(string prefix)
    {
        var guest = new VethGuest(Convert.ToHexStringLower(Guid.NewGuid().ToByteArray())[..6], prefix);
        try
        {
            var inside = guest.Namespace[1..] + "i";
            await RunAsync("ip", "netns", "add", guest.Namespace);
            await RunAsync("ip", "link", "add", guest.HostLink, "type", "veth", "peer", "name", inside);
            await RunAsync("ip", "link", "set", inside, "netns", guest.Namespace);
            await RunAsync("ip", "addr", "add", guest.HostAddress + "/30", "dev", guest.HostLink);
            await RunAsync("ip", "link", "set", guest.HostLink, "up");
            await RunAsync("ip", "netns", "exec", guest.Namespace, "ip", "addr", "add", guest.GuestAddress + "/30", "dev", inside);
            await RunAsync("ip", "netns", "exec", guest.Namespace, "ip", "link", "set", inside, "up");
            await RunAsync("ip", "netns", "exec", guest.Namespace, "ip", "link", "set", "lo", "up");
            await RunAsync("ip", "netns", "exec", guest.Namespace, "ip", "route", "add", "default", "via", guest.HostAddress);
            return guest;
        }
        catch
        {
            await guest.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await CaptureAsync("ip", "link", "del", HostLink);
        await CaptureAsync("ip", "netns", "del", Namespace);
    }

    /// <summary>Runs a command and fails the test, with its output, when it exits non-zero.</summary>
    public static async Task RunAsync(params string[] args)
    {
        var result = await ProcessRunner.RunAsync(args[0], args[1..], null, 10, TimeSpan.FromSeconds(30), CancellationToken.None);
        Assert.True(result.ExitCode == 0, $"{string.Join(' ', args)}: {string.Join(" | ", result.OutputTail)}");
    }

    /// <summary>Runs a command and returns its output whatever its exit code (clean-up, inspection).</summary>
    public static async Task<string> CaptureAsync(params string[] args)
    {
        var result = await ProcessRunner.RunAsync(args[0], args[1..], null, 50, TimeSpan.FromSeconds(30), CancellationToken.None);
        return string.Join('\n', result.OutputTail);
    }
}
