using Bunit;
using Formation.Dashboard.Components.Pages;
using Formation.Edge;
using Formation.Errors;
using Formation.Services;
using MudBlazor;

namespace Formation.Dashboard.Tests.Components;

public sealed class ServicesPageTests : DashboardTestContext
{
    [Fact]
    public void Services_ListsReadyOfDesired_AndShowsAChangeWithoutAnEvent()
    {
        Fake.ServiceList["web"] = FakeFormation.Service("web", 2);
        var cut = Render<Formation.Dashboard.Components.Pages.Services>();
        cut.WaitForAssertion(() => Assert.Equal("2/2", cut.Find("[data-testid=service-ready]").TextContent.Trim()));

        // A rollout changes the service grain only (no VM event yet): the page reads it again by itself.
        Fake.ServiceList["web"] = FakeFormation.Service("web", 2) with { Replicas = 3, Rollout = RolloutState.Rolling };

        cut.WaitForAssertion(() => Assert.Equal("2/3", cut.Find("[data-testid=service-ready]").TextContent.Trim()), TimeSpan.FromSeconds(10));
        Assert.Contains("Rolling", cut.Find("[data-testid=service-table]").TextContent);
    }

    [Fact]
    public void ServiceDetail_ShowsWhichReplicasTakeTraffic_AndAFailedRolloutsReason()
    {
        var service = FakeFormation.Service("api", 3, RolloutState.Failed, "replica api-4 failed: NoCapacity");
        Fake.ServiceList["api"] = service with
        {
            ReplicaList = [service.ReplicaList[0], service.ReplicaList[1] with { Draining = true }, service.ReplicaList[2] with { Health = ReplicaHealth.Failing }],
        };
        var cut = Render<ServiceDetail>(p => p.Add(x => x.Name, "api"));

        cut.WaitForAssertion(() => Assert.Equal(["serving", "draining", "out"], cut.FindAll("[data-testid=replica-traffic]").Select(e => e.TextContent.Trim())));
        Assert.Contains("replica api-4 failed: NoCapacity", cut.Find("[data-testid=service-message]").TextContent);
        Assert.Contains("Failed", cut.Find("[data-testid=service-rollout]").TextContent);
    }

    [Fact]
    public void ServiceDetail_Scale_AsksTheClusterForTheCount_AndShowsARefusal()
    {
        Fake.ServiceList["web"] = FakeFormation.Service("web", 2);
        var snackbars = Render<MudSnackbarProvider>();
        var cut = Render<ServiceDetail>(p => p.Add(x => x.Name, "web"));
        cut.WaitForElement("[data-testid=service-replicas]").Change("3");

        cut.Find("[data-testid=service-scale]").Click();
        cut.WaitForAssertion(() => Assert.Equal([("web", 3)], Fake.Scaled));

        Fake.ServiceFailure = new FormationException(ErrorKind.NoCapacity, "No node has room for 1 vCPU, 512 MiB memory, 10 GiB disk.");
        cut.Find("[data-testid=service-replicas]").Change("9");
        cut.Find("[data-testid=service-scale]").Click();
        snackbars.WaitForAssertion(() => Assert.Contains("No node has room", snackbars.Markup));
        Assert.Single(Fake.Scaled);
    }

    [Fact]
    public void ServiceDetail_MissingService_SaysSoInOneSentence()
    {
        var cut = Render<ServiceDetail>(p => p.Add(x => x.Name, "ghost"));

        var error = cut.WaitForElement("[data-testid=page-error]");
        Assert.Contains("ghost", error.TextContent);
        Assert.DoesNotContain(" at ", error.TextContent);
    }

    [Fact]
    public void Routes_ShowHostServiceAndTls_AndTcpRoutes()
    {
        Fake.TcpRouteList.Add(new EdgeTcpRoute(5432, "db", 5432, DateTimeOffset.UtcNow, EdgeBalance.LeastRequests));
        Fake.RouteList.Add(new EdgeRoute("shop.example.com", "web", 8080, DateTimeOffset.UtcNow));
        Fake.RouteList.Add(new EdgeRoute("secure.example.com", "web", 8080, DateTimeOffset.UtcNow,
            new EdgeRouteTls("CN=secure.example.com", new DateTimeOffset(2027, 3, 1, 0, 0, 0, TimeSpan.Zero), SelfSigned: true, "AB12")));
        var cut = Render<EdgeRoutes>();

        cut.WaitForAssertion(() => Assert.Equal(2, cut.FindAll("[data-testid=route-host]").Count));
        Assert.Equal(["HTTP only", "CN=secure.example.com, self-signed, until 2027-03-01"], cut.FindAll("[data-testid=route-tls]").Select(e => e.TextContent.Trim()));
        Assert.Equal("5432", cut.Find("[data-testid=tcp-route-port]").TextContent.Trim());
        Assert.Contains("least-requests", cut.Find("[data-testid=tcp-route-table]").TextContent);
    }
}
