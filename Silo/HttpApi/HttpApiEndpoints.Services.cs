using Formation.Edge;
using Formation.Errors;
using Formation.Images;
using Formation.Services;
using Formation.Vms;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;

namespace Formation.Silo.HttpApi;

public static partial class HttpApiEndpoints
{
    /// <summary>
    /// <c>form service list|show|scale|rollback|delete</c> and the deploy step of <c>form deploy</c>. Changes answer 202
    /// once the rollout has started; <c>GET /v1/services/{name}</c> shows it settle (rollout Steady or Failed).
    /// </summary>
    private static void MapServices(RouteGroupBuilder v1, IClusterClient grains)
    {
        v1.MapGet("/services", () => Run(async () => Results.Ok(await grains.GetGrain<IServiceCatalogGrain>(GrainKeys.Cluster).ListAsync())))
            .WithSummary("All services").Produces<IReadOnlyList<ServiceSummary>>();
        v1.MapGet("/services/{name}", (string name) => Run(async () => Results.Ok(await (await grains.ServiceAsync(name)).GetAsync())))
            .WithSummary("One service: replicas, revisions, rollout").Produces<ServiceInfo>().ProducesError(404);
        v1.MapPut("/services/{name}", (string name, [FromBody] DeployServiceRequest body) => Run(async () =>
        {
            var manifest = await grains.GetGrain<IImageGrain>(body.Image).GetManifestAsync()
                ?? throw FormationException.NotFound($"Image '{body.Image}' is not built. Build it first (POST /v1/builds).");
            var template = new VmSpec("", body.VCpus ?? manifest.Resources.Vcpu, body.MemoryMiB ?? manifest.Resources.MemoryMiB,
                body.DiskGiB ?? manifest.Resources.DiskGiB, body.Image, body.Node, body.Restart, ImageDigest: manifest.Digest,
                NoEgress: body.NoEgress, Publish: VmSpecRules.ParsePublishForApi(body.Publish));
            // The template in the API's words (the service's name is the grain's to check: it names the service, not a replica).
            if (VmSpecRules.Check(template with { Name = ServiceRules.ReplicaName(name, 1) }).FirstOrDefault(p => p.Field != VmSpecField.Name) is { } problem)
            {
                throw FormationException.Invalid(problem.ForApi);
            }

            var info = await (await grains.ServiceAsync(name)).DeployAsync(new ServiceSpec(name, body.Replicas, template, body.Health ?? manifest.Health));
            return Results.Accepted($"/v1/services/{name}", info);
        })).WithSummary("Create a service or roll it to a new revision and count").Produces<ServiceInfo>(StatusCodes.Status202Accepted).ProducesError(400, 404, 409);
        v1.MapPost("/services/{name}/scale", (string name, [FromBody] ScaleServiceRequest body) => Run(async () =>
            Results.Accepted($"/v1/services/{name}", await (await grains.ServiceAsync(name)).ScaleAsync(body.Replicas))))
            .WithSummary("Set a service's replica count").Produces<ServiceInfo>(StatusCodes.Status202Accepted).ProducesError(400, 404, 409);
        v1.MapPost("/services/{name}/rollback", (string name) => Run(async () =>
            Results.Accepted($"/v1/services/{name}", await (await grains.ServiceAsync(name)).RollbackAsync())))
            .WithSummary("Roll a service back to its previous revision").Produces<ServiceInfo>(StatusCodes.Status202Accepted).ProducesError(404, 409);
        v1.MapDelete("/services/{name}", (string name) => Run(async () =>
            Results.Accepted($"/v1/services/{name}", await (await grains.ServiceAsync(name)).DeleteAsync())))
            .WithSummary("Delete a service and its replicas").Produces<ServiceInfo>(StatusCodes.Status202Accepted).ProducesError(404);
    }

    /// <summary><c>form route list|add|delete</c>, HTTP routes by host and TCP routes by port.</summary>
    private static void MapRoutes(RouteGroupBuilder v1, IClusterClient grains)
    {
        var routes = grains.GetGrain<IRouteCatalogGrain>(GrainKeys.Cluster);
        v1.MapGet("/routes", () => Run(async () => Results.Ok(await routes.ListAsync())))
            .WithSummary("The edge routes").Produces<IReadOnlyList<EdgeRoute>>();
        v1.MapPost("/routes", ([FromBody] AddRouteRequest body) => Run(async () =>
        {
            var added = await routes.AddAsync(body.Host, body.Service, body.Port, body.Tls, body.BalancePolicy);
            return Results.Created($"/v1/routes/{added.Host}", added);
        })).WithSummary("Route a host name to a service's port (optionally HTTPS)").Produces<EdgeRoute>(StatusCodes.Status201Created).ProducesError(400, 404, 409);
        v1.MapDelete("/routes/{host}", (string host) => Run(async () => Results.Ok(await routes.DeleteAsync(host))))
            .WithSummary("Delete an edge route").Produces<EdgeRoute>().ProducesError(404);
        v1.MapGet("/routes/tcp", () => Run(async () => Results.Ok(await routes.ListTcpAsync())))
            .WithSummary("The edge's TCP routes").Produces<IReadOnlyList<EdgeTcpRoute>>();
        v1.MapPost("/routes/tcp", ([FromBody] AddTcpRouteRequest body) => Run(async () =>
        {
            var added = await routes.AddTcpAsync(body.ListenPort, body.Service, body.Port, body.BalancePolicy);
            return Results.Created($"/v1/routes/tcp/{added.ListenPort}", added);
        })).WithSummary("Route a TCP port on every node to a service's port").Produces<EdgeTcpRoute>(StatusCodes.Status201Created).ProducesError(400, 404, 409);
        v1.MapDelete("/routes/tcp/{port:int}", (int port) => Run(async () => Results.Ok(await routes.DeleteTcpAsync(port))))
            .WithSummary("Delete a TCP route").Produces<EdgeTcpRoute>().ProducesError(404);
    }
}
