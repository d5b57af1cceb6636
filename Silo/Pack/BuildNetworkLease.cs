using System.Globalization;
using System.Net;

namespace Formation.Silo.Pack;

/// <summary>One INSTALL step's slot of the build network, held until disposed (then its link and table are removed).</summary>
internal sealed class BuildNetworkLease(int slot, uint network, FileStream slotLock) : IAsyncDisposable
{
    public int Slot => slot;

    /// <summary>The host end of the veth pair.</summary>
    public string HostLink => BuildNetwork.LinkPrefix + slot.ToString(CultureInfo.InvariantCulture);

    /// <summary>The step's end while it is still in the host's namespace (renamed eth0 in the step's).</summary>
    public string PeerLink => HostLink + "p";

    public string Table => BuildNetwork.TablePrefix + slot.ToString(CultureInfo.InvariantCulture);

    public IPAddress HostAddress => Address(network + 1);

    public IPAddress StepAddress => Address(network + 2);

    /// <summary>The resolv.conf the step's /etc/resolv.conf is bound to, alone in its scratch directory (removed with the lease).</summary>
    public string? ResolvConf { get; set; }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await BuildNetwork.RemoveAsync(slot, CancellationToken.None);
            if (ResolvConf is not null)
            {
                Formation.Silo.Platform.HostPaths.DeleteTree(Path.GetDirectoryName(ResolvConf)!);
            }
        }
        finally
        {
            await slotLock.DisposeAsync();
        }
    }

    private static IPAddress Address(uint value) => new([(byte)(value >> 24), (byte)(value >> 16), (byte)(value >> 8), (byte)value]);
}
