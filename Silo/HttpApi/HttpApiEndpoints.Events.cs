using Formation.Events;
using Formation.Nodes;
using Formation.Vms;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Formation.Silo.HttpApi;

public static partial class HttpApiEndpoints
{
    /// <summary>
    /// <c>form vm events --follow</c> and the dashboard's Events page as server-sent events: <c>event: vm</c> carries a
    /// <see cref="VmEvent"/>, <c>event: node</c> a <see cref="NodeEvent"/>. The VMs' recent history comes first unless
    /// <c>history=false</c>.
    /// </summary>
    private static void MapEvents(RouteGroupBuilder v1, IClusterClient grains, CancellationToken stopping)
    {
        v1.MapGet("/events", (bool? history, CancellationToken ct) => Run(async () =>
        {
            var feed = new EventFeed();
            try
            {
                await feed.AddAsync(grains, EventStreams.ForAllVms(), "vm", HttpApiJson.Default.VmEvent, VmEventKey);
                await feed.AddAsync(grains, EventStreams.ForNodes(), "node", HttpApiJson.Default.NodeEvent, _ => null);
                var past = new List<VmEvent>();
                if (history ?? true)
                {
                    foreach (var vm in await grains.GetGrain<IVmCatalogGrain>(GrainKeys.Cluster).ListAsync())
                    {
                        past.AddRange(await VmHistoryAsync(grains.GetGrain<IVmGrain>(GrainKeys.Vm(vm.NodeId, vm.Id)), skipUnavailable: true));
                    }
                }

                return Stream(feed, past, stopping);
            }
            catch
            {
                await feed.DisposeAsync();
                throw;
            }
        })).WithSummary("Every VM's transitions (event: vm) and node changes (event: node), live, as server-sent events")
            .Produces(StatusCodes.Status200OK, contentType: EventStreamResult.ContentType);

        v1.MapGet("/vms/{vm}/events", (string vm, bool? history, CancellationToken ct) => Run(async () =>
        {
            var vmRef = await grains.GetGrain<IVmCatalogGrain>(GrainKeys.Cluster).ResolveAsync(vm);
            var feed = new EventFeed();
            try
            {
                await feed.AddAsync(grains, EventStreams.ForVm(vmRef.Id), "vm", HttpApiJson.Default.VmEvent, VmEventKey);
                var past = history ?? true ? await VmHistoryAsync(grains.GetGrain<IVmGrain>(vmRef.GrainKey), skipUnavailable: false) : [];
                return Stream(feed, past, stopping);
            }
            catch
            {
                await feed.DisposeAsync();
                throw;
            }
        })).WithSummary("One VM's transitions (event: vm), live, as server-sent events")
            .Produces(StatusCodes.Status200OK, contentType: EventStreamResult.ContentType).ProducesError(404);
    }

    private static IResult Stream(EventFeed feed, IEnumerable<VmEvent> history, CancellationToken stopping)
    {
        var entries = history.OrderBy(e => e.At)
            .Select(e => new EventFeed.Entry("vm", System.Text.Json.JsonSerializer.Serialize(e, HttpApiJson.Default.VmEvent), VmEventKey(e)))
            .ToList();
        return new EventStreamResult(feed.ReadAllAsync(entries, CancellationToken.None), feed, stopping);
    }

    /// <summary>The same transition seen twice (in the history and live) has the same key, as in <c>form vm events</c>.</summary>
    private static object VmEventKey(VmEvent e) => (e.VmId, e.At, e.To);

    private static async Task<IReadOnlyList<VmEvent>> VmHistoryAsync(IVmGrain grain, bool skipUnavailable)
    {
        try
        {
            return await grain.GetEventsAsync();
        }
        catch (Errors.FormationException) when (skipUnavailable)
        {
            // One VM whose node is gone does not keep the others' history from the stream (the CLI skips it too).
            return [];
        }
    }
}
