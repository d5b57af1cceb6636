using Bunit;
using Formation.Dashboard.Cluster;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor.Services;

namespace Formation.Dashboard.Tests.Components;

/// <summary>bUnit with MudBlazor's services, loose JS interop, and the fake cluster service.</summary>
public abstract class DashboardTestContext : BunitContext
{
    protected DashboardTestContext()
    {
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices();
        Services.AddSingleton<FormationService>(Fake);
        Services.AddSingleton(FakeFormation.Connector);
    }

    protected FakeFormation Fake { get; } = new();
}
