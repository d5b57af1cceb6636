using System.Text;
using Bunit;
using Formation.Dashboard.Components.Shared;
using Formation.Errors;
using Formation.Vms;

namespace Formation.Dashboard.Tests.Components;

public sealed class VmExecPanelTests : DashboardTestContext
{
    [Fact]
    public void Run_ACommand_ShowsItsOutputAndExitCode()
    {
        Fake.ExecAnswer = line => new ExecCompleted(Encoding.UTF8.GetBytes("web-1\n"), Encoding.UTF8.GetBytes("warning\n"), new ExecResult(3), Truncated: true);
        var cut = Render<VmExecPanel>(p => p.Add(c => c.Vm, new VmRef("vm-1", "node-a")));

        cut.Find("#exec-command").Input("hostname; exit 3");
        cut.Find("[data-testid=exec-form]").Submit();

        cut.WaitForAssertion(() => Assert.Equal("web-1\nwarning\n", cut.Find("[data-testid=exec-output]").TextContent));
        var status = cut.Find("[data-testid=exec-status]").TextContent;
        Assert.Contains("hostname; exit 3", status);
        Assert.Contains("exited with 3", status);
        Assert.Contains("output cut at 256 KiB", status);
        Assert.Equal(["hostname; exit 3"], Fake.Executed);
    }

    [Fact]
    public void Run_TheClusterRefuses_ShowsWhyAndNoOutput()
    {
        Fake.ExecAnswer = _ => throw FormationException.Conflict("VM web-1 is Stopped: exec needs a running guest.");
        var cut = Render<VmExecPanel>(p => p.Add(c => c.Vm, new VmRef("vm-1", "node-a")));

        cut.Find("#exec-command").Input("ls");
        cut.Find("[data-testid=exec-form]").Submit();

        cut.WaitForAssertion(() => Assert.Contains("exec needs a running guest", cut.Find("[data-testid=exec-error]").TextContent));
        Assert.Empty(cut.FindAll("[data-testid=exec-output]"));
    }

    [Fact]
    public void Run_AnEmptyCommand_RunsNothing()
    {
        var cut = Render<VmExecPanel>(p => p.Add(c => c.Vm, new VmRef("vm-1", "node-a")));

        cut.Find("[data-testid=exec-form]").Submit();

        Assert.Empty(Fake.Executed);
        Assert.True(cut.Find("[data-testid=exec-run]").HasAttribute("disabled"));
    }
}
