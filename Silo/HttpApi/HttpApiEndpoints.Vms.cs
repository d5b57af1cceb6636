using Formation.Errors;
using Formation.LocalApi;
using Formation.Vms;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;

namespace Formation.Silo.HttpApi;

public static partial class HttpApiEndpoints
{
    public const string IdempotencyHeader = "Idempotency-Key";

    /// <summary>
    /// <c>form vm list|show|create|start|stop|pause|resume|reboot|delete</c>. A create with an <c>Idempotency-Key</c>
    /// header is safe to retry: the same key and name return the first attempt's VM (the key is the CLI's request id).
    /// </summary>
    private static void MapVms(RouteGroupBuilder v1, IClusterClient grains)
    {
        var reads = new GrainReads(grains);
        var writes = new GrainWrites(grains);
        v1.MapGet("/vms", (CancellationToken ct) => Run(async () => Results.Ok(await reads.ListVmsAsync(ct))))
            .WithSummary("All VMs that are not deleted").Produces<IReadOnlyList<VmSummary>>();
        v1.MapGet("/vms/{vm}", (string vm, CancellationToken ct) => Run(async () => Results.Ok(await reads.GetVmAsync(vm, ct))))
            .WithSummary("One VM by id or name, with its recent events").Produces<VmDetail>().ProducesError(404);
        v1.MapPost("/vms", ([FromBody] CreateVmRequest body, [FromHeader(Name = IdempotencyHeader)] string? key, CancellationToken ct) => Run(async () =>
        {
            var info = await writes.CreateVmAsync(body.ToSpec(key), ct);
            return Results.Created($"/v1/vms/{info.Id}", info);
        })).WithSummary("Create a VM on a node with room for it (Idempotency-Key: retry-safe)")
            .Produces<VmInfo>(StatusCodes.Status201Created).ProducesError(400, 409);
        v1.MapDelete("/vms/{vm}", (string vm, CancellationToken ct) => Run(async () => Results.Accepted($"/v1/vms/{vm}", await writes.DeleteVmAsync(vm, ct))))
            .WithSummary("Delete a VM and release its capacity").Produces<VmInfo>(StatusCodes.Status202Accepted).ProducesError(404, 409);
        v1.MapPost("/vms/{vm}/{action}", (string vm, string action, CancellationToken ct) => Run(async () =>
        {
            if (!Enum.TryParse<VmAction>(action, ignoreCase: true, out var verb) || verb == VmAction.Delete || !char.IsAsciiLetterLower(action[0]))
            {
                throw FormationException.Invalid($"'{action}' is not a VM action: use start, stop, pause, resume or reboot.");
            }

            var vmRef = await grains.GetGrain<IVmCatalogGrain>(GrainKeys.Cluster).ResolveAsync(vm);
            return Results.Ok(await VmActions.InvokeAsync(grains.GetGrain<IVmGrain>(vmRef.GrainKey), verb));
        })).WithSummary("start, stop, pause, resume or reboot a VM").Produces<VmInfo>().ProducesError(400, 404, 409);
    }

    /// <summary><c>form node list</c>.</summary>
    private static void MapNodes(RouteGroupBuilder v1, IClusterClient grains)
    {
        var reads = new GrainReads(grains);
        v1.MapGet("/nodes", (CancellationToken ct) => Run(async () => Results.Ok(await reads.ListNodesAsync(ct))))
            .WithSummary("Nodes with health, driver and capacity").Produces<IReadOnlyList<Formation.Nodes.NodeStatus>>();
    }

    /// <summary>Documents the error statuses a route answers with (every error body is an <see cref="HttpApiError"/>).</summary>
    private static RouteHandlerBuilder ProducesError(this RouteHandlerBuilder route, params int[] statuses)
    {
        foreach (var status in statuses)
        {
            route.Produces<HttpApiError>(status);
        }

        return route;
    }
}
