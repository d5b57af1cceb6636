using Bunit;
using Formation.Events;
using Formation.Vms;

namespace Formation.Dashboard.Tests.Components;

public sealed class VmsPageTests : DashboardTestContext
{
    [Fact]
    public void Render_Vms_CountsThemAndUpdatesLiveFromEvents()
    {
        Fake.Vms.AddRange([FakeFormation.Vm("vm-1", "web-1", VmState.Running), FakeFormation.Vm("vm-2", "web-2", VmState.Provisioning)]);
        var cut = Render<Formation.Dashboard.Components.Pages.Vms>();

        cut.WaitForAssertion(() => Assert.Equal("2 VMs", cut.Find("[data-testid=vm-count]").TextContent.Trim()));
        cut.InvokeAsync(() => Fake.PublishAsync(EventStreams.ForAllVms(),
            new VmEvent("vm-2", "web-2", "node-a", VmState.Deleting, VmState.Deleted, DateTimeOffset.UtcNow, null)));

        cut.WaitForAssertion(() => Assert.Equal("1 VM", cut.Find("[data-testid=vm-count]").TextContent.Trim()));
    }

    [Fact]
    public void RunningEvent_ThenAListReadThatLagsBehindIt_KeepsTheRowRunning()
    {
        var vm = FakeFormation.Vm("vm-3", "web-3", VmState.Provisioning);
        Fake.Vms.Add(vm); // the catalog still says Provisioning when the page reads the list again
        var cut = Render<Formation.Dashboard.Components.Pages.Vms>();
        cut.WaitForAssertion(() => Assert.Equal("1 VM", cut.Find("[data-testid=vm-count]").TextContent.Trim()));
        var reads = Fake.VmListReads;

        cut.InvokeAsync(() => Fake.PublishAsync(EventStreams.ForAllVms(),
            new VmEvent("vm-3", "web-3", "node-a", VmState.Provisioning, VmState.Running, vm.UpdatedAt.AddSeconds(1), null)));

        cut.WaitForAssertion(() => Assert.True(Fake.VmListReads > reads, "the Running event has the list read again"), TimeSpan.FromSeconds(10));
        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("tr.vm-row [data-state=Running]")));
        Assert.Empty(cut.FindAll("tr.vm-row [data-state=Provisioning]"));
    }

    [Fact]
    public void Render_ClusterFails_ShowsOneSentence_NotAStackTrace()
    {
        Fake.Failure = new SiloUnavailableException("silo S127.0.0.1:11111 is dead");
        var cut = Render<Formation.Dashboard.Components.Pages.Vms>();

        var error = cut.WaitForElement("[data-testid=page-error]");
        Assert.Contains("No silo answered", error.TextContent);
        Assert.DoesNotContain(" at ", error.TextContent);
    }

    [Fact]
    public void Render_FirstSnapshotFails_TriesAgainByItself()
    {
        Fake.Failure = new SiloUnavailableException("silo S127.0.0.1:11111 is not up yet");
        var cut = Render<Formation.Dashboard.Components.Pages.Vms>();
        cut.WaitForElement("[data-testid=page-error]");

        Fake.Failure = null;
        Fake.Vms.Add(FakeFormation.Vm("vm-1", "web-1", VmState.Running));

        cut.WaitForAssertion(() =>
        {
            Assert.Empty(cut.FindAll("[data-testid=page-error]"));
            Assert.Contains("web-1", cut.Markup);
        }, TimeSpan.FromSeconds(10));
    }
}
