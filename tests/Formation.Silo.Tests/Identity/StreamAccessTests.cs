using Formation.Errors;
using Formation.Events;
using Formation.Identity;
using Formation.Silo.Identity;

namespace Formation.Silo.Tests.Identity;

/// <summary>The subscription rules alone; <c>AccountsClusterTests.EventStreams_…</c> runs them against a real cluster.</summary>
public sealed class StreamAccessTests
{
    private static readonly Caller Bob = new("bob", false);

    [Theory]
    [InlineData(EventStreams.AllVms, EventStreams.AllKey)]
    [InlineData(EventStreams.Nodes, EventStreams.AllKey)]
    [InlineData(EventStreams.Builds, EventStreams.AllKey)]
    public void Member_ClusterWideStream_IsRefusedSayingItIsForAdmins(string ns, string key)
    {
        var rule = Assert.IsType<StreamAccess.Rule.Refused>(StreamAccess.For(ns, key, Bob, viaNode: false));

        Assert.Equal(ErrorKind.PermissionDenied, rule.Error.Kind);
        Assert.Contains("for admins", rule.Error.Message);
        Assert.Contains("form vm events", rule.Error.Message);
    }

    [Fact]
    public void Member_AVmStream_NeedsThatVmToBeTheirs()
    {
        Assert.Equal(new StreamAccess.Rule.IfMayActOnVm("vm-1"), StreamAccess.For(EventStreams.Vm, "vm-1", Bob, viaNode: false));
    }

    [Fact]
    public void Member_ABuildSessionStream_IsAllowed_ItsKeyIsTheCapability()
    {
        Assert.IsType<StreamAccess.Rule.Allowed>(StreamAccess.For(EventStreams.Builds, "node-a/b-1234", Bob, viaNode: false));
    }

    [Theory]
    [InlineData(EventStreams.AllVms, EventStreams.AllKey)]
    [InlineData(EventStreams.Vm, "vm-1")]
    public void AdminsAndNodes_MayFollowEverything(string ns, string key)
    {
        Assert.IsType<StreamAccess.Rule.Allowed>(StreamAccess.For(ns, key, Caller.Admin, viaNode: false));
        Assert.IsType<StreamAccess.Rule.Allowed>(StreamAccess.For(ns, key, Caller.System, viaNode: true));
    }

    [Fact]
    public void NoProvenCaller_IsRefusedAsUnauthenticated_OnFormationStreams_OnlyThere()
    {
        var rule = Assert.IsType<StreamAccess.Rule.Refused>(StreamAccess.For(EventStreams.Vm, "vm-1", null, viaNode: false));

        Assert.Equal(ErrorKind.Unauthenticated, rule.Error.Kind);
        Assert.IsType<StreamAccess.Rule.Allowed>(StreamAccess.For("someone-elses", "x", null, viaNode: false));
    }
}
