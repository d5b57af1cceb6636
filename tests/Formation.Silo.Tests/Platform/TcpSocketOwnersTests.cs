using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Formation.Silo.Platform;

namespace Formation.Silo.Tests.Platform;

/// <summary>The kernel's TCP socket table names who opened the other end of a loopback connection, and a closed socket is no one.</summary>
public sealed class TcpSocketOwnersTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public void TryParseEndPoint_KernelHex_IPv4AndIPv6()
    {
        Assert.True(TcpSocketOwners.TryParseEndPoint("0100007F:7596", out var v4));
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 0x7596), v4);
        Assert.True(TcpSocketOwners.TryParseEndPoint("00000000000000000000000001000000:0050", out var v6));
        Assert.Equal(new IPEndPoint(IPAddress.IPv6Loopback, 80), v6);
        Assert.True(TcpSocketOwners.TryParseEndPoint("0000000000000000FFFF00000100007F:0050", out var mapped));
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 80), mapped);
        Assert.False(TcpSocketOwners.TryParseEndPoint("nonsense", out _));
    }

    [Fact]
    public void Find_MatchesTheRowOfThePeersSocket_IgnoresRowsWithoutAnOpenSocket()
    {
        string[] table =
        [
            "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode",
            "   0: 0100007F:7596 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1111 1 0 100 0 0 10 0",
            "   1: 0100007F:D431 0100007F:7596 06 00000000:00000000 03:00001770 00000000     0        0 0 3 0",
            "   2: 0100007F:D432 0100007F:7596 01 00000000:00000000 00:00000000 00000000  1000        0 2222 1 0 20 4 30 10 -1",
        ];
        var server = new IPEndPoint(IPAddress.Loopback, 0x7596);

        Assert.Equal(1000, TcpSocketOwners.Find(table, new IPEndPoint(IPAddress.Loopback, 0xD432), server));
        Assert.Null(TcpSocketOwners.Find(table, new IPEndPoint(IPAddress.Loopback, 0xD431), server)); // time-wait: uid 0, inode 0
        Assert.Null(TcpSocketOwners.Find(table, new IPEndPoint(IPAddress.Loopback, 0xD433), server));
    }

    [Fact]
    public async Task UidOf_RealConnectionFromAnotherUser_IsThatUser_AndRootIsRoot()
    {
        Prerequisites.Require(Environment.UserName == "root", "setpriv needs root to connect as another user");
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var info = new ProcessStartInfo("setpriv") { RedirectStandardError = true };
        // curl as nobody connects, sends its request and holds the connection open waiting for an answer.
        foreach (var a in new[] { "--reuid=65534", "--regid=65534", "--clear-groups", "curl", "-s", "--max-time", "30", $"http://127.0.0.1:{port}/" })
        {
            info.ArgumentList.Add(a);
        }

        using var client = Process.Start(info)!;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        deadline.CancelAfter(TimeSpan.FromSeconds(30));
        try
        {
            using var fromNobody = await listener.AcceptSocketAsync(deadline.Token);
            using var rootClient = new TcpClient();
            await rootClient.ConnectAsync(IPAddress.Loopback, port, Ct);
            using var fromRoot = await listener.AcceptSocketAsync(deadline.Token);

            Assert.Equal(65534, TcpSocketOwners.UidOf((IPEndPoint)fromNobody.RemoteEndPoint!, (IPEndPoint)fromNobody.LocalEndPoint!));
            Assert.Equal(0, TcpSocketOwners.UidOf((IPEndPoint)fromRoot.RemoteEndPoint!, (IPEndPoint)fromRoot.LocalEndPoint!));

            // The client closes its end before it is looked up: its lingering entry must not pass for root.
            rootClient.Close();
            await Eventually.TrueAsync(() => TcpSocketOwners.UidOf((IPEndPoint)fromRoot.RemoteEndPoint!, (IPEndPoint)fromRoot.LocalEndPoint!) is null,
                TimeSpan.FromSeconds(10), "the closed socket no longer named");
        }
        finally
        {
            client.Kill();
            await client.WaitForExitAsync(Ct);
            Assert.True(client.ExitCode != 126 && client.ExitCode != 127, $"setpriv could not run curl as nobody: {await client.StandardError.ReadToEndAsync(Ct)}");
        }
    }
}
