using Formation.Errors;
using Formation.LocalApi;
using Formation.Vms;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;

namespace Formation.Silo.HttpApi;

/// <summary>
/// The routes of the HTTP API: the CLI's VM and node operations over the same grains and with the same errors. A create
/// with an <c>Idempotency-Key</c> header is safe to retry: the same key and name return the first attempt's VM.
/// </summary>
public static class HttpApiEndpoints
{
    public const string IdempotencyHeader = "Idempotency-Key";

    public static void Map(IEndpointRouteBuilder app, IGrainFactory grains)
    {
        var reads = new GrainReads(grains);
        var writes = new GrainWrites(grains);
        var v1 = app.MapGroup("/v1");
        v1.MapGet("/vms", (CancellationToken ct) => Run(async () => Results.Ok(await reads.ListVmsAsync(ct))))
            .WithSummary("All VMs that are not deleted");
        v1.MapGet("/vms/{vm}", (string vm, CancellationToken ct) => Run(async () => Results.Ok(await reads.GetVmAsync(vm, ct))))
            .WithSummary("One VM by id or name, with its recent events");
        v1.MapPost("/vms", ([FromBody] CreateVmRequest body, [FromHeader(Name = IdempotencyHeader)] string? key, CancellationToken ct) => Run(async () =>
        {
            var info = await writes.CreateVmAsync(body.ToSpec(key), ct);
            return Results.Created($"/v1/vms/{info.Id}", info);
        })).WithSummary("Create a VM on a node with room for it (Idempotency-Key: retry-safe)");
        v1.MapDelete("/vms/{vm}", (string vm, CancellationToken ct) => Run(async () => Results.Accepted($"/v1/vms/{vm}", await writes.DeleteVmAsync(vm, ct))))
            .WithSummary("Delete a VM and release its capacity");
        v1.MapPost("/vms/{vm}/{action}", (string vm, string action, CancellationToken ct) => Run(async () =>
        {
            if (!Enum.TryParse<VmAction>(action, ignoreCase: true, out var verb) || verb == VmAction.Delete || !char.IsAsciiLetterLower(action[0]))
            {
                throw FormationException.Invalid($"'{action}' is not a VM action: use start, stop, pause, resume or reboot.");
            }

            var vmRef = await grains.GetGrain<IVmCatalogGrain>(GrainKeys.Cluster).ResolveAsync(vm);
            return Results.Ok(await VmActions.InvokeAsync(grains.GetGrain<IVmGrain>(vmRef.GrainKey), verb));
        })).WithSummary("start, stop, pause, resume or reboot a VM");
        v1.MapGet("/nodes", (CancellationToken ct) => Run(async () => Results.Ok(await reads.ListNodesAsync(ct))))
            .WithSummary("Nodes with health, driver and capacity");
    }

    /// <summary>Formation errors keep their kind and message; transport failures inside the cluster are 503, retryable.</summary>
    private static async Task<IResult> Run(Func<Task<IResult>> action)
    {
        try
        {
            return await action();
        }
        catch (FormationException ex)
        {
            return Results.Json(new HttpApiError(ex.Kind.ToString(), ex.Message), HttpApiJson.Default.HttpApiError, statusCode: HttpApiError.StatusOf(ex.Kind));
        }
        catch (Exception ex) when (TransientFaults.IsTransient(ex))
        {
            return Results.Json(new HttpApiError("Unavailable", $"a silo this request needed did not answer ({ex.GetType().Name}); retry shortly."),
                HttpApiJson.Default.HttpApiError, statusCode: StatusCodes.Status503ServiceUnavailable);
        }
    }
}
