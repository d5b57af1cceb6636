using System.CommandLine;
using System.Text.Json;
using System.Threading.Channels;
using Formation.Cli.Output;
using Formation.Events;
using Formation.Vms;
using Orleans.Streams;

namespace Formation.Cli.Commands;

/// <summary>
/// <c>form vm events [ID] [--follow]</c>: history, then (with --follow) live events until Ctrl-C. Without an ID an admin
/// follows the cluster-wide stream; a member may not (it carries every account's VMs), so it follows the stream of each
/// VM it owns when the command starts.
/// </summary>
public static class VmEventsCommand
{
    public static Command Create(FormApp app)
    {
        var id = new Argument<string?>("vm") { Description = "VM id or name (default: all VMs)", Arity = ArgumentArity.ZeroOrOne };
        var follow = new Option<bool>("--follow", "-f") { Description = "Keep printing new events until Ctrl-C" };
        var json = new Option<bool>("--json") { Description = "Print one JSON object per line" };
        var command = new Command("events", "Show VM state transitions") { id, follow, json };
        command.SetAction((parse, ct) => app.WithClusterAsync(parse, ct, async client =>
        {
            var asJson = parse.GetValue(json);
            void Print(VmEvent e) =>
                app.Terminal.Out.WriteLine(asJson ? JsonSerializer.Serialize(e, Json.Compact) : e.ToLine());

            IReadOnlyList<IVmGrain> grains;
            IReadOnlyList<StreamId> streamIds;
            if (parse.GetValue(id) is { } one)
            {
                var vmRef = await client.GetGrain<IVmCatalogGrain>(GrainKeys.Cluster).ResolveAsync(one);
                grains = [client.GetGrain<IVmGrain>(vmRef.GrainKey)];
                streamIds = [EventStreams.ForVm(vmRef.Id)];
            }
            else
            {
                var vms = await client.GetGrain<IVmCatalogGrain>(GrainKeys.Cluster).ListAsync();
                grains = vms.Select(v => client.GetGrain<IVmGrain>(GrainKeys.Vm(v.NodeId, v.Id))).ToList();
                var caller = parse.GetValue(follow) ? await client.GetGrain<Identity.IAccountRegistryGrain>(GrainKeys.Cluster).WhoAmIAsync() : null;
                streamIds = caller is null or { IsAdmin: true } ? [EventStreams.ForAllVms()] : vms.Select(v => EventStreams.ForVm(v.Id)).ToList();
            }

            var live = Channel.CreateUnbounded<VmEvent>();
            var subscriptions = new List<StreamSubscriptionHandle<VmEvent>>();
            if (parse.GetValue(follow))
            {
                foreach (var streamId in streamIds)
                {
                    var stream = client.GetStreamProvider(EventStreams.Provider).GetStream<VmEvent>(streamId);
                    try
                    {
                        subscriptions.Add(await stream.SubscribeAsync((e, _) => live.Writer.WriteAsync(e).AsTask()));
                    }
                    catch (Errors.FormationException ex) when (streamIds.Count > 1)
                    {
                        app.Terminal.Error.WriteLine($"form: not following a VM: {ex.Message}"); // deleted since the list
                    }
                }
            }

            try
            {
                var history = new List<VmEvent>();
                foreach (var grain in grains)
                {
                    try
                    {
                        history.AddRange(await grain.GetEventsAsync());
                    }
                    catch (Errors.FormationException ex) when (grains.Count > 1)
                    {
                        app.Terminal.Error.WriteLine($"form: skipped a VM: {ex.Message}");
                    }
                }

                var seen = new HashSet<(string, DateTimeOffset, VmState)>();
                foreach (var e in history.OrderBy(e => e.At))
                {
                    seen.Add((e.VmId, e.At, e.To));
                    Print(e);
                }

                if (!parse.GetValue(follow))
                {
                    return ExitCodes.Ok;
                }

                await foreach (var e in live.Reader.ReadAllAsync(ct))
                {
                    if (seen.Add((e.VmId, e.At, e.To)))
                    {
                        Print(e);
                        await app.Terminal.Out.FlushAsync(ct);
                    }
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
            }
            finally
            {
                foreach (var subscription in subscriptions)
                {
                    await subscription.UnsubscribeAsync();
                }
            }

            return ExitCodes.Ok;
        }));
        return command;
    }
}
