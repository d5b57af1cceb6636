using Bunit;
using Formation.Dashboard.Cluster;
using Formation.Dashboard.Components.Layout;
using Formation.Dashboard.Components.Pages;
using Formation.Dashboard.Components.Shared;
using Formation.Vms;
using MudBlazor;

namespace Formation.Dashboard.Tests.Components;

public sealed class SharedComponentTests : DashboardTestContext
{
    [Theory]
    [InlineData(VmState.Running, "stop,pause,reboot,delete")]
    [InlineData(VmState.Paused, "stop,resume,reboot,delete")]
    [InlineData(VmState.Stopped, "start,delete")]
    [InlineData(VmState.Failed, "start,delete")]
    [InlineData(VmState.Deleting, "")]
    public void VmActionButtons_State_OffersWhatTheGrainAccepts(VmState state, string expected)
    {
        var cut = Render<VmActionButtons>(p => p.Add(c => c.Vm, new VmRef("vm-1", "node-a")).Add(c => c.Name, "web-1").Add(c => c.State, state));

        var offered = cut.FindAll("[data-action]").Select(b => b.GetAttribute("data-action"));
        Assert.Equal(expected, string.Join(',', offered));
    }

    [Fact]
    public async Task VmActionButtons_Delete_AsksFirst_AndDoesNothingWhenCancelled()
    {
        var provider = Render<MudDialogProvider>();
        var cut = Render<VmActionButtons>(p => p.Add(c => c.Vm, new VmRef("vm-1", "node-a")).Add(c => c.Name, "web-1").Add(c => c.State, VmState.Running));

        var click = cut.InvokeAsync(() => cut.Find("[data-action=delete]").Click());
        provider.WaitForAssertion(() => Assert.Contains("Delete web-1?", provider.Markup));
        provider.FindAll("button").Single(b => b.TextContent.Trim() == "Cancel").Click();
        await click;

        Assert.DoesNotContain("Delete web-1?", provider.Markup);
    }

    [Fact]
    public void ConnectionBanner_Lost_ShowsTheMessage_Connected_ShowsNothing()
    {
        var lost = Render<ConnectionBanner>(p => p.Add(c => c.Status,
            new ConnectionStatus(ConnectionState.Lost, "Lost the connection to the cluster (gateway 127.0.0.1:30000). Retrying…", 1, DateTimeOffset.UtcNow)));
        var connected = Render<ConnectionBanner>(p => p.Add(c => c.Status,
            new ConnectionStatus(ConnectionState.Connected, "Connected.", 2, DateTimeOffset.UtcNow)));

        Assert.Contains("Lost the connection", lost.Find("[data-testid=connection-banner]").TextContent);
        Assert.Empty(connected.FindAll("[data-testid=connection-banner]"));
    }

    [Theory]
    [InlineData("10.77.0.2", "8080/tcp", "http://10.77.0.2:8080")]
    [InlineData("10.77.0.2", "443/tcp", "https://10.77.0.2:443")]
    [InlineData("10.77.0.2", "53/udp", null)]
    [InlineData(null, "8080/tcp", null)]
    public void PortUrl_Port_LinksTcpPortsOfAnAddress(string? address, string port, string? expected) =>
        Assert.Equal(expected, VmDetail.PortUrl(address, port));

    [Fact]
    public void BuildImage_FormfileWithAnError_ShowsItAtItsLineAndColumn_AndCannotBuild()
    {
        var cut = Render<BuildImage>();

        cut.Find("textarea").Input("NAME x\nFROM tiny\nMEM lots\n");

        cut.WaitForAssertion(() =>
        {
            var finding = cut.Find("[data-testid=formfile-diagnostic]");
            Assert.Equal("3", finding.GetAttribute("data-line"));
            Assert.Equal("5", finding.GetAttribute("data-column"));
            Assert.Contains("line 3, column 5: error FF003", finding.TextContent);
        });
        Assert.Contains("error", cut.Find(".ff-line[data-line='3']").ClassName);
        Assert.True(cut.Find("[data-testid=build-start]").HasAttribute("disabled"));
    }

    [Fact]
    public void NavSections_EveryEntry_HasARoutablePage()
    {
        var routes = typeof(Overview).Assembly.GetTypes()
            .SelectMany(t => t.GetCustomAttributes(typeof(Microsoft.AspNetCore.Components.RouteAttribute), false))
            .Cast<Microsoft.AspNetCore.Components.RouteAttribute>().Select(r => r.Template).ToHashSet();

        Assert.All(NavSections.All.SelectMany(s => s.Entries), e => Assert.Contains(e.Href, routes));
    }
}
