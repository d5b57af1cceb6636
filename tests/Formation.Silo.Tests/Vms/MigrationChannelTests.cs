using System.Net;
using System.Net.Sockets;
using Formation.Silo.Vms;
using Formation.Vms;

namespace Formation.Silo.Tests.Vms;

/// <summary>
/// The live migration stream's door on the receiving node (real sockets on loopback, 127.0.0.2 standing in for the old
/// node's overlay address): whoever connects first does not get to feed the waiting hypervisor — a connection from
/// another address, or one without the move's token, is closed unanswered, and the old node's own still gets in.
/// </summary>
public sealed class MigrationChannelTests
{
    private static readonly IPAddress OldNode = IPAddress.Parse("127.0.0.2");

    [Fact]
    public async Task ConnectionFromAnotherAddress_WithTheRightToken_IsClosed_AndTheOldNodesStillGetsIn()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var channel = MigrationChannel.Open(IPAddress.Loopback, OldNode);
        var accepted = channel.AcceptAsync(TimeSpan.FromSeconds(20), ct);

        // The attacker knows the token (say it leaked) but connects from 127.0.0.3: no answer, closed.
        using (var intruder = await ConnectFromAsync(IPAddress.Parse("127.0.0.3"), channel.Inbox, ct))
        {
            await intruder.SendAsync(Convert.FromHexString(channel.Inbox.Token), SocketFlags.None, ct);
            Assert.Equal(0, await ReceiveOrEndAsync(intruder, ct));
        }

        using var real = await ConnectFromAsync(OldNode, channel.Inbox, ct);
        await real.SendAsync(Convert.FromHexString(channel.Inbox.Token), SocketFlags.None, ct);
        Assert.Equal(1, await ReceiveOrEndAsync(real, ct));
        using var inbound = await accepted;
        Assert.Equal(OldNode, ((IPEndPoint)inbound.RemoteEndPoint!).Address);
        Assert.Equal(1, channel.Refused);
    }

    [Fact]
    public async Task ConnectionWithAWrongToken_FromTheOldNodesAddress_IsClosed()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var channel = MigrationChannel.Open(IPAddress.Loopback, OldNode);
        var accepted = channel.AcceptAsync(TimeSpan.FromSeconds(20), ct);

        var forged = channel.Inbox with { Token = new string('0', 64) };
        using (var guess = await ConnectFromAsync(OldNode, forged, ct))
        {
            await guess.SendAsync(Convert.FromHexString(forged.Token), SocketFlags.None, ct);
            Assert.Equal(0, await ReceiveOrEndAsync(guess, ct));
        }

        // A short token (the first bytes right, then the connection ends) gets nothing either.
        using (var partial = await ConnectFromAsync(OldNode, channel.Inbox, ct))
        {
            await partial.SendAsync(Convert.FromHexString(channel.Inbox.Token)[..16], SocketFlags.None, ct);
            partial.Shutdown(SocketShutdown.Send);
            Assert.Equal(0, await ReceiveOrEndAsync(partial, ct));
        }

        Assert.False(accepted.IsCompleted);
        Assert.Equal(2, channel.Refused);
    }

    [Fact]
    public async Task ConnectAsync_RefusedOrMalformed_SaysWhy()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var channel = MigrationChannel.Open(IPAddress.Loopback, IPAddress.Loopback);
        var accepted = channel.AcceptAsync(TimeSpan.FromSeconds(20), ct);
        var refused = await Assert.ThrowsAsync<IOException>(() => MigrationChannel.ConnectAsync(channel.Inbox with { Token = new string('a', 64) }, ct));
        Assert.Contains("refused the migration stream", refused.Message);

        var malformed = await Assert.ThrowsAsync<ArgumentException>(() => MigrationChannel.ConnectAsync(channel.Inbox with { Token = "not hex" }, ct));
        Assert.Contains("malformed", malformed.Message);
        await Assert.ThrowsAsync<ArgumentException>(() => MigrationChannel.ConnectAsync(new MigrationInbox("nowhere", 1, channel.Inbox.Token), ct));

        using var real = await MigrationChannel.ConnectAsync(channel.Inbox, ct);
        using var inbound = await accepted;
        Assert.True(inbound.Connected);
    }

    [Fact]
    public async Task NobodyConnects_TheWaitEndsAtItsDeadline_WithTheReason()
    {
        await using var channel = MigrationChannel.Open(IPAddress.Loopback, OldNode);
        var ex = await Assert.ThrowsAsync<TimeoutException>(() => channel.AcceptAsync(TimeSpan.FromMilliseconds(300), TestContext.Current.CancellationToken));
        Assert.Contains("did not open the migration stream", ex.Message);
    }

    private static async Task<Socket> ConnectFromAsync(IPAddress from, MigrationInbox inbox, CancellationToken ct)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(from, 0));
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Parse(inbox.Address), inbox.Port), ct);
        return socket;
    }

    /// <summary>Bytes received before the other side closed (0: closed without a word), within 10 s.</summary>
    private static async Task<int> ReceiveOrEndAsync(Socket socket, CancellationToken ct)
    {
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(ct);
        wait.CancelAfter(TimeSpan.FromSeconds(10));
        var buffer = new byte[16];
        try
        {
            return await socket.ReceiveAsync(buffer, SocketFlags.None, wait.Token);
        }
        catch (SocketException)
        {
            return 0; // reset
        }
    }
}
