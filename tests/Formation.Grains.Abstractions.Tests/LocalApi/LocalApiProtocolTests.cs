using System.Text;
using Formation.Errors;
using Formation.LocalApi;
using Formation.Nodes;
using Formation.Vms;

namespace Formation.Grains.Abstractions.Tests.LocalApi;

/// <summary>The local API's wire format and dispatch, over memory streams and a fake <see cref="IFormationReads"/> and <see cref="IFormationWrites"/>.</summary>
public sealed class LocalApiProtocolTests
{
    private static readonly DateTimeOffset At = new(2026, 11, 26, 2, 0, 0, TimeSpan.FromHours(1));

    private static readonly VmSpec Spec = new("web-1", 2, 512, 4, "tiny-web", "node-a", RestartPolicy.OnFailure, "sha256:abc");

    private static readonly VmInfo Vm = new("vm-1", "node-a", Spec, VmState.Running, null, At, At.AddSeconds(3), "10.77.1.2", "qemu", ["8080/tcp"]);

    private static readonly NodeStatus Node = new(
        new NodeInfo("node-a", "host-a", 2, 24000, 100, true, "PVM", "qemu", "nested PVM", "127.0.0.1:11111", "127.0.0.1:30000",
            new NodeCapacity(4, 8192, 50), At, "1.0"),
        NodeHealth.Healthy, At, new NodeCapacity(2, 512, 4), 1);

    private static readonly Formation.Discovery.PeerRow Peer = new("node-a", "12D3KooWEyoppNCUx8Yx66oV9fJnriXwCcXwDDUA2kj6vnc6iDEp",
        ["/ip4/127.0.0.1/tcp/4001"], "node-b", At, 0.42, ["/ipfs/id/1.0.0", "/formation/node/1.0.0"], 17, At.AddSeconds(-5), true, "formation-silo/1.0");

    [Fact]
    public async Task Peers_RoundTripEveryField()
    {
        var reply = await RoundTripAsync(await LocalApiProtocol.AnswerAsync(new FakeReads(), new FakeReads(), new LocalApiRequest(LocalApiProtocol.Peers), CancellationToken.None));

        var peer = Assert.Single(reply.Peers!);
        Assert.Equal(Peer.Addresses, peer.Addresses);
        Assert.Equal(Peer.Protocols, peer.Protocols);
        Assert.Equal(Peer, peer with { Addresses = Peer.Addresses, Protocols = Peer.Protocols });
    }

    [Fact]
    public async Task Request_RoundTripsThroughOneLine()
    {
        var stream = new MemoryStream();
        await LocalApiProtocol.WriteRequestAsync(stream, new LocalApiRequest(LocalApiProtocol.Vm, "web-1"), CancellationToken.None);

        Assert.Equal((byte)'\n', stream.ToArray()[^1]);
        stream.Position = 0;
        Assert.Equal(new LocalApiRequest(LocalApiProtocol.Vm, "web-1"), await LocalApiProtocol.ReadRequestAsync(stream, CancellationToken.None));
    }

    [Fact]
    public async Task InfoWithUntil_IsAnsweredByTheWaitingRead_AndWithoutItByThePlainOne()
    {
        var stream = new MemoryStream();
        await LocalApiProtocol.WriteRequestAsync(stream, new LocalApiRequest(LocalApiProtocol.Info, "web-1", Until: VmState.Stopped), CancellationToken.None);
        Assert.Contains("\"until\":\"Stopped\"", Encoding.UTF8.GetString(stream.ToArray()));
        stream.Position = 0;
        var request = await LocalApiProtocol.ReadRequestAsync(stream, CancellationToken.None);
        var waiting = new FakeReads();
        var plain = new FakeReads();

        var waited = await RoundTripAsync(await LocalApiProtocol.AnswerAsync(waiting, waiting, request, CancellationToken.None));
        var read = await RoundTripAsync(await LocalApiProtocol.AnswerAsync(plain, plain, request with { Until = null }, CancellationToken.None));

        Assert.Equal((VmState.Stopped, VmState.Stopped), (waiting.WaitedFor, waited.Info!.State));
        Assert.Equal((null, VmState.Running), (plain.WaitedFor, read.Info!.State));
    }

    [Fact]
    public async Task Replies_RoundTripEveryField()
    {
        var reads = new FakeReads();
        var writes = (IFormationWrites)reads;
        var vms = await RoundTripAsync(await LocalApiProtocol.AnswerAsync(reads, writes, new LocalApiRequest(LocalApiProtocol.Vms), CancellationToken.None));
        var nodes = await RoundTripAsync(await LocalApiProtocol.AnswerAsync(reads, writes, new LocalApiRequest(LocalApiProtocol.Nodes), CancellationToken.None));
        var detail = await RoundTripAsync(await LocalApiProtocol.AnswerAsync(reads, writes, new LocalApiRequest(LocalApiProtocol.Vm, "web-1"), CancellationToken.None));

        Assert.Equal(Vm.ToSummary(), Assert.Single(vms.Vms!));
        var node = Assert.Single(nodes.Nodes!);
        Assert.Equal(Node.Info, node.Info);
        Assert.Equal(Node.Reserved, node.Reserved);
        Assert.Equal(Node.Health, node.Health);
        Assert.Equal(Vm.Spec, detail.Vm!.Vm.Spec);
        Assert.Equal(Vm.Ports, detail.Vm.Vm.Ports);
        Assert.Equal(Vm with { Ports = null }, detail.Vm.Vm with { Ports = null });
        Assert.Equal(FakeReads.Events, detail.Vm.Events);
        var info = await RoundTripAsync(await LocalApiProtocol.AnswerAsync(reads, writes, new LocalApiRequest(LocalApiProtocol.Info, "web-1"), CancellationToken.None));
        Assert.Equal(Vm with { Ports = null }, info.Info! with { Ports = null });
        Assert.Null(info.Vm); // the poll's answer carries no events
    }

    [Fact]
    public async Task CreateAndDelete_RoundTripTheSpecAndTheVm()
    {
        var fake = new FakeReads();
        var line = new MemoryStream();
        await LocalApiProtocol.WriteRequestAsync(line, new LocalApiRequest(LocalApiProtocol.Create, Spec: Spec with { RequestId = "req-1" }), CancellationToken.None);
        line.Position = 0;
        var request = await LocalApiProtocol.ReadRequestAsync(line, CancellationToken.None);

        var created = await RoundTripAsync(await LocalApiProtocol.AnswerAsync(fake, fake, request, CancellationToken.None));
        var deleted = await RoundTripAsync(await LocalApiProtocol.AnswerAsync(fake, fake, new LocalApiRequest(LocalApiProtocol.Delete, "web-1"), CancellationToken.None));

        Assert.Equal(Spec with { RequestId = "req-1" }, fake.LastCreated);
        Assert.Equal("req-1", created.Info!.Spec.RequestId);
        Assert.Equal(VmState.Deleting, deleted.Info!.State);
    }

    [Fact]
    public async Task TransientErrors_ArriveAsRetryableNotAsFormationErrors()
    {
        var stream = new MemoryStream();
        await LocalApiProtocol.WriteReplyAsync(stream, LocalApiProtocol.TransientFailure("a silo went away"), CancellationToken.None);
        stream.Position = 0;

        var ex = await Assert.ThrowsAsync<LocalApiTransientException>(() => LocalApiProtocol.ReadReplyAsync(stream, CancellationToken.None));
        Assert.True(TransientFaults.IsTransient(ex));
        Assert.False(TransientFaults.IsTransient(FormationException.NotFound("no such VM")));
        Assert.True(TransientFaults.IsTransient(new InvalidOperationException("wrapped", new TimeoutException())));
    }

    [Fact]
    public async Task FormationErrors_TravelWithTheirKindAndMessage()
    {
        var reply = await LocalApiProtocol.AnswerAsync(new FakeReads(), new FakeReads(), new LocalApiRequest(LocalApiProtocol.Vm, "nope"), CancellationToken.None);
        var stream = new MemoryStream();
        await LocalApiProtocol.WriteReplyAsync(stream, reply, CancellationToken.None);
        stream.Position = 0;

        var ex = await Assert.ThrowsAsync<FormationException>(() => LocalApiProtocol.ReadReplyAsync(stream, CancellationToken.None));
        Assert.Equal(ErrorKind.NotFound, ex.Kind);
        Assert.Equal("no VM named nope.", ex.Message);
    }

    [Theory]
    [InlineData("{\"query\":\"frobnicate\"}", "unknown local API query 'frobnicate'")]
    [InlineData("{\"query\":\"vm\"}", "needs a VM id or name")]
    [InlineData("{\"query\":\"create\"}", "the create query needs a spec")]
    [InlineData("{\"query\":\"delete\"}", "the delete query needs a VM id or name")]
    [InlineData("{\"query\":\"vm-info\"}", "the vm-info query needs a VM id or name")]
    public async Task BadQueries_AreInvalidArgumentReplies(string line, string expected)
    {
        var request = await LocalApiProtocol.ReadRequestAsync(new MemoryStream(Encoding.UTF8.GetBytes(line + "\n")), CancellationToken.None);

        var reply = await LocalApiProtocol.AnswerAsync(new FakeReads(), new FakeReads(), request, CancellationToken.None);

        Assert.Equal(ErrorKind.InvalidArgument, reply.Error!.Kind);
        Assert.Contains(expected, reply.Error.Message);
    }

    [Theory]
    [InlineData("not json\n", "not JSON")]
    [InlineData("{}\n", "no query")]
    [InlineData("[1,2]\n", "not JSON")]
    [InlineData("{\"query\":\"vms\"}", "ended before its newline")]
    [InlineData("", "ended before its newline")]
    public async Task MalformedRequests_AreRefusedWithAReason(string bytes, string expected)
    {
        var ex = await Assert.ThrowsAsync<FormationException>(() =>
            LocalApiProtocol.ReadRequestAsync(new MemoryStream(Encoding.UTF8.GetBytes(bytes)), CancellationToken.None));

        Assert.Equal(ErrorKind.InvalidArgument, ex.Kind);
        Assert.Contains(expected, ex.Message);
    }

    [Fact]
    public async Task OversizedRequest_IsRefusedWithoutReadingItAll()
    {
        var stream = new MemoryStream(new byte[1024 * 1024]);

        var ex = await Assert.ThrowsAsync<FormationException>(() => LocalApiProtocol.ReadRequestAsync(stream, CancellationToken.None));

        Assert.Contains($"longer than {LocalApiProtocol.MaxRequestBytes} bytes", ex.Message);
        Assert.True(stream.Position <= LocalApiProtocol.MaxRequestBytes, $"read {stream.Position} bytes");
    }

    private static async Task<LocalApiReply> RoundTripAsync(LocalApiReply reply)
    {
        var stream = new MemoryStream();
        await LocalApiProtocol.WriteReplyAsync(stream, reply, CancellationToken.None);
        stream.Position = 0;
        return await LocalApiProtocol.ReadReplyAsync(stream, CancellationToken.None);
    }

    private sealed class FakeReads : IFormationReads, IFormationWrites
    {
        public VmSpec? LastCreated { get; private set; }

        public Task<VmInfo> CreateVmAsync(VmSpec spec, CancellationToken cancellationToken)
        {
            LastCreated = spec;
            return Task.FromResult(Vm with { Spec = spec });
        }

        public Task<VmInfo> DeleteVmAsync(string idOrName, CancellationToken cancellationToken) =>
            idOrName == "web-1" ? Task.FromResult(Vm with { State = VmState.Deleting }) : throw FormationException.NotFound($"no VM named {idOrName}.");

        public static readonly IReadOnlyList<VmEvent> Events =
        [
            new("vm-1", "web-1", "node-a", VmState.Pending, VmState.Scheduled, At, null),
            new("vm-1", "web-1", "node-a", VmState.Provisioning, VmState.Running, At.AddSeconds(3), "guest ready"),
        ];

        public Task<IReadOnlyList<VmSummary>> ListVmsAsync(CancellationToken cancellationToken) =>
            Task.FromResult<IReadOnlyList<VmSummary>>([Vm.ToSummary()]);

        public Task<IReadOnlyList<NodeStatus>> ListNodesAsync(CancellationToken cancellationToken) =>
            Task.FromResult<IReadOnlyList<NodeStatus>>([Node]);

        public Task<VmDetail> GetVmAsync(string idOrName, CancellationToken cancellationToken) =>
            idOrName == "web-1" ? Task.FromResult(new VmDetail(Vm, Events)) : throw FormationException.NotFound($"no VM named {idOrName}.");

        public Task<VmInfo> GetVmInfoAsync(string idOrName, CancellationToken cancellationToken) =>
            idOrName == "web-1" ? Task.FromResult(Vm) : throw FormationException.NotFound($"no VM named {idOrName}.");

        public VmState? WaitedFor { get; private set; }

        public Task<VmInfo> WaitForVmAsync(string idOrName, VmState target, CancellationToken cancellationToken)
        {
            WaitedFor = target;
            return idOrName == "web-1" ? Task.FromResult(Vm with { State = target }) : throw FormationException.NotFound($"no VM named {idOrName}.");
        }

        public Task<IReadOnlyList<Formation.Discovery.PeerRow>> ListPeersAsync(CancellationToken cancellationToken) =>
            Task.FromResult<IReadOnlyList<Formation.Discovery.PeerRow>>([Peer]);
    }
}
