using Formation.Edge;
using Formation.Identity;
using Formation.Images;
using Formation.Vms;

namespace Formation.Grains.Abstractions.Tests.Callers;

/// <summary>The counts an account deletion's refusal names; the listing itself runs in <c>AccountsClusterTests.DeleteAccount_…</c>.</summary>
public sealed class AccountHoldingsTests
{
    private static VmSummary Vm(string name) => new($"vm-{name}", name, "node-a", VmState.Running, 1, 64, 0, null, null, DateTimeOffset.UnixEpoch, Owner: "bob");

    [Fact]
    public void Describe_CountsEachKind_SingularAndPlural_SkippingEmptyKinds()
    {
        var holdings = new AccountHoldings([], [Vm("a"), Vm("b")], [], [new EdgeTcpRoute(2222, "bob/db", 5432, DateTimeOffset.UnixEpoch)], [], []);
        var image = new ImageStatus("web:latest", ImageBuildState.Ready, null, 0, [], null, DateTimeOffset.UnixEpoch, Account: "bob");

        Assert.False(holdings.IsEmpty);
        Assert.Equal("2 VMs, 1 TCP route", holdings.Describe());
        Assert.Equal("1 image", (holdings with { Vms = [], TcpRoutes = [], Images = [image] }).Describe());
    }

    [Fact]
    public void Empty_IsEmpty_AndSaysNothing()
    {
        var holdings = new AccountHoldings([], [], [], [], [], []);

        Assert.True(holdings.IsEmpty);
        Assert.Equal("nothing", holdings.Describe());
    }
}
