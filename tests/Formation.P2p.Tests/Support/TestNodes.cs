using Formation.P2p.Addressing;
using Formation.P2p.Host;
using Formation.P2p.Identity;
using Formation.P2p.Kad;
using Formation.P2p.Records;

namespace Formation.P2p.Tests.Support;

/// <summary>C# nodes on loopback for tests.</summary>
public static class TestNodes
{
    /// <summary>A started node listening on 127.0.0.1 (free port).</summary>
    public static async Task<P2pNode> StartAsync(KadOptions? kad = null, IReadOnlyDictionary<string, IKadRecordValidator>? validators = null, Ed25519KeyPair? identity = null)
    {
        var kadOptions = kad ?? new KadOptions();
        var node = new P2pNode(
            new P2pHostOptions { Identity = identity ?? Ed25519KeyPair.Generate(), ListenAddresses = [Multiaddr.Parse("/ip4/127.0.0.1/tcp/0")] },
            kadOptions,
            validators ?? new Dictionary<string, IKadRecordValidator> { [NodeRecordKeys.Namespace] = new NodeRecordValidator() },
            StderrLoggerFactory.Instance);
        await node.StartAsync();
        return node;
    }

    /// <summary>The node's first listen address with /p2p.</summary>
    public static Multiaddr Address(this P2pNode node) => node.Host.ListenAddresses[0].WithPeerId(node.Host.PeerId);

    /// <summary>Polls <paramref name="condition"/> until it holds or the deadline passes (then fails with <paramref name="what"/>).</summary>
    public static async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out after {timeout} waiting for {what}");
            await Task.Delay(25);
        }
    }

    /// <summary>Async variant of <see cref="WaitUntilAsync(Func{bool}, TimeSpan, string)"/>.</summary>
    public static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out after {timeout} waiting for {what}");
            await Task.Delay(100);
        }
    }
}
