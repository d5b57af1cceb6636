using Bunit;
using Formation.Audit;
using Formation.Dashboard.Components.Pages;
using Formation.Errors;

namespace Formation.Dashboard.Tests.Components;

public sealed class AuditPageTests : DashboardTestContext
{
    private static AuditEntry Row(long id, string account, string action, string result = AuditEntry.Ok, string? error = null) =>
        new(id, DateTimeOffset.UtcNow.AddMinutes(id), account, action, "cluster", "spec={web}", result, error, 12, "node-a");

    [Fact]
    public void Render_ShowsTheTrailNewestFirst_WithFailuresAndTheirReason()
    {
        Fake.AuditRows.AddRange([Row(1, "alice", "VmCatalog.CreateVm"), Row(2, "bob", "Vm.Delete", "NotFound", "no VM named web")]);
        var cut = Render<AuditTrail>();

        cut.WaitForAssertion(() => Assert.Equal(["bob", "alice"], cut.FindAll("[data-testid=audit-account]").Select(e => e.TextContent.Trim())));
        Assert.Equal(["Vm.Delete", "VmCatalog.CreateVm"], cut.FindAll("[data-testid=audit-action]").Select(e => e.TextContent.Trim()));
        Assert.Equal(["NotFound: no VM named web", "ok"], cut.FindAll("[data-testid=audit-result]").Select(e => e.TextContent.Trim()));
    }

    [Fact]
    public void Render_AsAMember_SaysTheTrailIsForAdmins()
    {
        Fake.AuditFailure = new FormationException(ErrorKind.PermissionDenied, "the audit trail is for admins; ask an admin of this cluster.");
        var cut = Render<AuditTrail>();

        cut.WaitForAssertion(() => Assert.Contains("for admins", cut.Find("[data-testid=page-error]").TextContent));
    }
}
