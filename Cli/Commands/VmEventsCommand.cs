using System.CommandLine;
using System.Text.Json;
using System.Threading.Channels;
using Formation.Cli.Output;
using Formation.Events;
using Formation.Vms;
using Orleans.Streams;

namespace Formation.Cli.Commands;

/// <summary><c>form vm events [ID] [--follow]</c>: history, then (with --follow) live events until Ctrl-C.</summary>
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
            StreamId streamId;
            if (parse.GetValue(id) is { } one)
            {
                var vmRef = await client.GetGrain<IVmCatalogGrain>(GrainKeys.Cluster).ResolveAsync(one);
                grains = [client.GetGrain<IVmGrain>(vmRef.GrainKey)];
                streamId = EventStreams.ForVm(vmRef.Id);
            }
            else
            {
                var vms = await client.GetGrain<IVmCatalogGrain>(GrainKeys.Cluster).ListAsync();
                grains = vms.Select(v => client.GetGrain<IVmGrain>(GrainKeys.Vm(v.NodeId, v.Id))).ToList();
                streamId = EventStreams.ForAllVms();
            }

            var live = Channel.CreateUnbounded<VmEvent>();
            StreamSubscriptionHandle<VmEvent>? subscription = null;
            if (parse.GetValue(follow))
            {
                var stream = client.GetStreamProvider(EventStreams.Provider).GetStream<VmEvent>(streamId);
                subscription = await stream.SubscribeAsync((e, _) => live.Writer.WriteAsync(e).AsTask());
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

                if (subscription is null)
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
                if (subscription is not null)
                {
                    await subscription.UnsubscribeAsync();
                }
            }

            return ExitCodes.Ok;
        }));
        return command;
    }
}
