using System.CommandLine;
using Formation.Cli.Output;
using Formation.Display;
using Formation.Errors;
using Formation.Services;

namespace Formation.Cli.Commands;

/// <summary><c>form service list|show|scale|rollback|delete</c>. <c>form deploy</c> makes and updates services.</summary>
public static class ServiceCommands
{
    public static Command Create(FormApp app)
    {
        var service = new Command("service", "Services: a name, an image and a replica count, rolled out one replica at a time");
        service.Subcommands.Add(ListCommand(app));
        service.Subcommands.Add(ShowCommand(app));
        service.Subcommands.Add(ScaleCommand(app));
        service.Subcommands.Add(RollbackCommand(app));
        service.Subcommands.Add(DeleteCommand(app));
        return service;
    }

    private static Argument<string> NameArgument() => new("name") { Description = "Service name" };

    private static Option<bool> NoWaitOption() => new("--no-wait") { Description = "Return once the change has started instead of waiting for the rollout" };

    private static Command ListCommand(FormApp app)
    {
        var json = FormApp.JsonOption();
        var command = new Command("list", "List services") { json };
        command.SetAction((parse, ct) => app.WithClusterAsync(parse, ct, async client =>
        {
            var services = await client.GetGrain<IServiceCatalogGrain>(GrainKeys.Cluster).ListAsync();
            if (parse.GetValue(json))
            {
                Json.Write(app.Terminal.Out, services);
                return ExitCodes.Ok;
            }

            if (services.Count == 0)
            {
                app.Terminal.Out.WriteLine("No services. `form deploy DIR` makes one from a Formfile.");
                return ExitCodes.Ok;
            }

            var table = new TextTable("NAME", "READY", "REVISION", "ROLLOUT", "IMAGE");
            foreach (var s in services)
            {
                table.Add(s.Name, $"{s.Ready}/{s.Replicas}", s.Revision.ToString(), s.Rollout.ToString(),
                    s.Image is null ? "-" : $"{s.Image} {(s.ImageDigest is null ? "" : Images.ImageReference.Short(s.ImageDigest))}".TrimEnd());
            }

            app.Terminal.Write(table);
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command ShowCommand(FormApp app)
    {
        var name = NameArgument();
        var json = FormApp.JsonOption();
        var command = new Command("show", "Show a service: its replicas, revisions and rollout") { name, json };
        command.SetAction((parse, ct) => app.WithClusterAsync(parse, ct, async client =>
        {
            var info = await (await client.ServiceAsync(parse.GetValue(name)!)).GetAsync();
            if (parse.GetValue(json))
            {
                Json.Write(app.Terminal.Out, info);
                return ExitCodes.Ok;
            }

            Write(app.Terminal.Out, info);
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command ScaleCommand(FormApp app)
    {
        var name = NameArgument();
        var replicas = new Argument<int>("replicas") { Description = $"Replica count (0–{ServiceRules.MaxReplicas})" };
        var noWait = NoWaitOption();
        var command = new Command("scale", "Set how many replicas a service runs") { name, replicas, noWait };
        command.SetAction((parse, ct) => app.WithClusterAsync(parse, ct, async client =>
        {
            var grain = await client.ServiceAsync(parse.GetValue(name)!);
            var started = await grain.ScaleAsync(parse.GetValue(replicas));
            return await FinishAsync(app, grain, started, parse.GetValue(noWait), ct);
        }));
        return command;
    }

    private static Command RollbackCommand(FormApp app)
    {
        var name = NameArgument();
        var noWait = NoWaitOption();
        var command = new Command("rollback", "Roll a service back to its previous revision, one replica at a time") { name, noWait };
        command.SetAction((parse, ct) => app.WithClusterAsync(parse, ct, async client =>
        {
            var grain = await client.ServiceAsync(parse.GetValue(name)!);
            var started = await grain.RollbackAsync();
            return await FinishAsync(app, grain, started, parse.GetValue(noWait), ct);
        }));
        return command;
    }

    private static Command DeleteCommand(FormApp app)
    {
        var name = NameArgument();
        var noWait = NoWaitOption();
        var command = new Command("delete", "Delete a service and all its replicas") { name, noWait };
        command.SetAction((parse, ct) => app.WithClusterAsync(parse, ct, async client =>
        {
            var service = parse.GetValue(name)!;
            var grain = await client.ServiceAsync(service);
            var started = await grain.DeleteAsync();
            if (!parse.GetValue(noWait))
            {
                await ServiceWait.UntilSettledAsync(grain, started, app.Terminal.Out, ct);
            }

            app.Terminal.Out.WriteLine(parse.GetValue(noWait) ? $"Deleting service {service}." : $"Deleted service {service}.");
            return ExitCodes.Ok;
        }));
        return command;
    }

    /// <summary>Waits for the rollout a command started (unless told not to), prints the outcome, and turns a failed rollout into exit code 1.</summary>
    public static async Task<int> FinishAsync(FormApp app, IServiceGrain grain, ServiceInfo started, bool noWait, CancellationToken ct)
    {
        var info = noWait ? started : await ServiceWait.UntilSettledAsync(grain, started, app.Terminal.Out, ct);
        Write(app.Terminal.Out, info!);
        if (info!.Rollout == RolloutState.Failed)
        {
            app.Terminal.Error.WriteLine($"form: {info.Message}");
            return ExitCodes.Failed;
        }

        return ExitCodes.Ok;
    }

    public static void Write(TextWriter o, ServiceInfo info)
    {
        o.WriteLine($"Service {info.Name}: {info.Ready}/{info.Replicas} replica(s) of revision {info.Revision} running; rollout {info.Rollout}" +
                    (info.Message is null ? "" : $" ({info.Message})"));
        foreach (var r in info.ReplicaList)
        {
            o.WriteLine($"  {r.Name} ({r.VmId}) revision {r.Revision}: {r.State}" +
                        (r.Health == ReplicaHealth.None ? "" : $", health {r.Health.ToString().ToLowerInvariant()}") +
                        (r.Draining ? ", draining" : "") + $" on {r.NodeId} at {r.Address ?? "(no address yet)"}");
        }

        foreach (var rev in info.Revisions.OrderByDescending(r => r.Number).Take(5))
        {
            var t = rev.Template;
            o.WriteLine($"  revision {rev.Number}{(rev.Number == info.Revision ? " (current)" : "")}: {t.Image} " +
                        $"{(t.ImageDigest is null ? "" : Images.ImageReference.Short(t.ImageDigest))}, {t.VCpus} vCPU, {Units.MiB(t.MemoryMiB)}, " +
                        (rev.Health is { } h ? $"health check {h} every {h.Interval.TotalSeconds:0.#} s, " : "") + $"made {rev.CreatedAt:u}");
        }
    }
}

/// <summary>Following a service's rollout from the client: prints each new message, returns when it settles.</summary>
public static class ServiceWait
{
    /// <summary>
    /// Polls until the rollout is Steady or Failed (or, for a delete, the service is gone: then null), printing each new
    /// message. A rollout that has not settled within <paramref name="patience"/> (default 15 minutes) is an error.
    /// </summary>
    public static async Task<ServiceInfo?> UntilSettledAsync(
        IServiceGrain grain, ServiceInfo started, TextWriter progress, CancellationToken ct, TimeSpan? patience = null)
    {
        var deadline = DateTime.UtcNow + (patience ?? TimeSpan.FromMinutes(15));
        var last = started.Message;
        var info = started;
        while (true)
        {
            await Task.Delay(200, ct);
            try
            {
                info = await grain.GetAsync();
            }
            catch (FormationException ex) when (ex.Kind == ErrorKind.NotFound && started.Rollout == RolloutState.Deleting)
            {
                return null;
            }

            if (info.Message != last && info.Message is not null)
            {
                progress.WriteLine($"  {info.Message}");
                last = info.Message;
            }

            if (info.Rollout is RolloutState.Steady or RolloutState.Failed)
            {
                return info;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new FormationException(ErrorKind.HostFailure,
                    $"Service {info.Name} did not settle within {(patience ?? TimeSpan.FromMinutes(15)).TotalMinutes:0} minutes ({info.Rollout}: {info.Message}).");
            }
        }
    }
}
