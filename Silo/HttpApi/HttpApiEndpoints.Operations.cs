using Formation.Errors;
using Formation.Snapshots;
using Formation.Vms;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;

namespace Formation.Silo.HttpApi;

public static partial class HttpApiEndpoints
{
    /// <summary>
    /// <c>form vm exec</c> (without a terminal), <c>form vm snapshot|restore</c> and <c>form snapshot list|delete</c>;
    /// a clone is <c>POST /v1/vms</c> with <c>fromSnapshot</c>. Each VM is found through the catalog as the caller, so
    /// another account's VM or snapshot answers 404 like a missing one.
    /// </summary>
    private static void MapVmOperations(RouteGroupBuilder v1, IClusterClient grains)
    {
        var catalog = grains.GetGrain<IVmCatalogGrain>(GrainKeys.Cluster);
        v1.MapPost("/vms/{vm}/exec", (string vm, [FromBody] ExecVmRequest body, CancellationToken ct) => Run(async () =>
        {
            var request = body.ToRequest();
            var vmRef = await catalog.ResolveAsync(vm);
            var run = await ExecRun.RunAsync(grains.GetGrain<IVmExecGrain>(vmRef.GrainKey), request,
                body.Stdin is null ? null : System.Text.Encoding.UTF8.GetBytes(body.Stdin), body.Timeout, ExecVmResponse.MaxOutputBytes, ct);
            return Results.Ok(ExecVmResponse.From(run));
        })).WithSummary("Run a command in the VM's guest to its end (guest agent); exit code and output")
            .Produces<ExecVmResponse>().ProducesError(400, 404, 409);
        v1.MapPost("/vms/{vm}/snapshots", (string vm, [FromBody] TakeSnapshotRequest? body) => Run(async () =>
        {
            var vmRef = await catalog.ResolveAsync(vm);
            var taken = await grains.GetGrain<IVmGrain>(vmRef.GrainKey).SnapshotAsync(body?.Name, body?.Stop ?? false);
            return Results.Created($"/v1/snapshots/{taken.Id}", taken);
        })).WithSummary("Save the VM's memory, vCPU and device state and a copy of its disk on its node")
            .Produces<SnapshotInfo>(StatusCodes.Status201Created).ProducesError(400, 404, 409);
        v1.MapPost("/vms/{vm}/restore", (string vm, [FromBody] RestoreVmRequest body) => Run(async () =>
        {
            if (string.IsNullOrWhiteSpace(body.Snapshot))
            {
                throw FormationException.Invalid("snapshot: give one of the VM's snapshots by name or id (GET /v1/snapshots?vm=VM lists them).");
            }

            var vmRef = await catalog.ResolveAsync(vm);
            return Results.Ok(await grains.GetGrain<IVmGrain>(vmRef.GrainKey).RestoreAsync(body.Snapshot));
        })).WithSummary("Bring the VM back to one of its snapshots (its memory and disk are replaced)")
            .Produces<VmInfo>().ProducesError(400, 404, 409);
        v1.MapGet("/snapshots", (string? vm) => Run(async () => Results.Ok(await SnapshotReads.ListAsync(grains, vm))))
            .WithSummary("Snapshots on every healthy node (?vm= one VM's), newest first").Produces<IReadOnlyList<SnapshotInfo>>().ProducesError(404);
        v1.MapDelete("/snapshots/{snapshot}", (string snapshot) => Run(async () => Results.Ok(await SnapshotReads.DeleteAsync(grains, snapshot))))
            .WithSummary("Delete a snapshot (name or id) from its node").Produces<SnapshotInfo>().ProducesError(400, 404, 409);
    }
}
