namespace Formation.Silo.Platform;

/// <summary>
/// IPv4 forwarding of the host (<c>net.ipv4.ip_forward</c>), which routing guests' and build steps' traffic to the
/// outside needs. Only ever turned on, never off: other parts of the node (the mesh, other builds) may rely on it.
/// </summary>
public static class HostForwarding
{
    private const string Knob = "/proc/sys/net/ipv4/ip_forward";

    /// <summary>Turns forwarding on; true when it was off.</summary>
    public static async Task<bool> EnableIpv4Async(CancellationToken cancellationToken)
    {
        if ((await File.ReadAllTextAsync(Knob, cancellationToken)).Trim() == "1")
        {
            return false;
        }

        await File.WriteAllTextAsync(Knob, "1\n", cancellationToken);
        return true;
    }
}
