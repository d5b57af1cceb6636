using System.CommandLine;
using Formation.Cli.Context;
using Formation.Cli.Output;
using Formation.Images;
using Formation.Errors;
using Formation.Scheduling;
using Formation.Services;
using Formation.Vms;

namespace Formation.Cli.Commands;

/// <summary>
/// <c>form deploy [DIR]</c>: build the Formfile on a node, then create or update the service it names: a new revision
/// rolls out one replica at a time (a new replica runs before an old one goes); waits until it settles and says how to
/// reach the replicas.
/// </summary>
public static class DeployCommand
{
    public static Command Create(FormApp app)
    {
        var dir = CommandParts.DirectoryArgument();
        var file = CommandParts.FileOption();
        var name = new Option<string?>("--name") { Description = "Service name (default: the Formfile's NAME); its replicas are NAME-1, NAME-2, ..." };
        var node = new Option<string?>("--node") { Description = "Build and run on this node", HelpName = "node-id" };
        var replicas = new Option<int?>("--replicas") { Description = "How many replicas to run (default: as now, 1 for a new service)", HelpName = "N" };
        var vcpus = new Option<int?>("--vcpus") { Description = "vCPUs (default: the Formfile's VCPU)" };
        var memory = new Option<long?>("--memory") { Description = "Memory in MiB (default: the Formfile's MEM)", HelpName = "MiB" };
        var disk = new Option<long?>("--disk") { Description = "Disk in GiB (default: the Formfile's DISK)", HelpName = "GiB" };
        var restart = CommandParts.RestartOption();
        restart.Description = "When a replica stops on its own: never, on-failure (default for services), always";
        var noEgress = CommandParts.NoEgressOption();
        var publish = CommandParts.PublishOption();
        var healthHttp = new Option<string?>("--health-http") { Description = "Health check: GET PORT/PATH must answer 2xx/3xx (e.g. 8080/healthz); replaces the Formfile's HEALTHCHECK", HelpName = "port/path" };
        var healthTcp = new Option<int?>("--health-tcp") { Description = "Health check: PORT must accept a TCP connection", HelpName = "port" };
        var healthInterval = new Option<double?>("--health-interval") { Description = "Seconds between checks, and each check's limit (default 2)", HelpName = "s" };
        var healthThreshold = new Option<int?>("--health-threshold") { Description = "Failed checks in a row that take a replica out and reboot it (default 3)", HelpName = "n" };
        var healthStart = new Option<double?>("--health-start") { Description = "Seconds a new replica has to pass its first check (default 60)", HelpName = "s" };
        var json = new Option<bool>("--json") { Description = "Print the running VM as JSON (progress goes to stderr)" };
        var command = new Command("deploy", "Build a Formfile and roll it out as a service (one replica at a time), waiting until it runs")
        {
            dir, file, name, node, replicas, vcpus, memory, disk, restart, noEgress, publish, healthHttp, healthTcp, healthInterval, healthThreshold, healthStart, json,
        };
        command.SetAction(async (parse, ct) =>
        {
            LocalFormfile input;
            try
            {
                input = LocalFormfile.Load(parse.GetValue(dir), parse.GetValue(file));
            }
            catch (Exception ex)
            {
                return app.Fail(ex);
            }

            if (input.ErrorCount > 0)
            {
                foreach (var diagnostic in input.Diagnostics)
                {
                    app.Terminal.Error.WriteLine(diagnostic.ToString());
                }

                app.Terminal.Error.WriteLine($"form: {input.Path} has {input.ErrorCount} error(s); nothing was deployed.");
                return ExitCodes.Failed;
            }

            var formfile = input.Formfile!;
            var asJson = parse.GetValue(json);
            var progress = asJson ? app.Terminal.Error : app.Terminal.Out;
            var serviceName = parse.GetValue(name) ?? formfile.Name.ToLowerInvariant();
            try
            {
                ServiceRules.RequireName(serviceName);
            }
            catch (FormationException ex)
            {
                app.Terminal.Error.WriteLine($"form: {ex.Message} Give the service a name with --name.");
                return ExitCodes.Failed;
            }

            if (parse.GetValue(replicas) is { } count && (count < 0 || count > ServiceRules.MaxReplicas))
            {
                app.Terminal.Error.WriteLine($"form: --replicas {count} is out of range: a service runs 0 to {ServiceRules.MaxReplicas} replicas.");
                return ExitCodes.Failed;
            }

            HealthCheck? health;
            try
            {
                health = HealthFrom(parse.GetValue(healthHttp), parse.GetValue(healthTcp), parse.GetValue(healthInterval), parse.GetValue(healthThreshold), parse.GetValue(healthStart),
                    formfile.Health);
            }
            catch (FormationException ex)
            {
                app.Terminal.Error.WriteLine($"form: {ex.Message}");
                return ExitCodes.Failed;
            }

            return await app.WithClusterAsync(parse, ct, async client =>
            {
                var reference = ImageReference.Normalize(formfile.Name);
                var nodeId = await client.GetGrain<ISchedulerGrain>(GrainKeys.Cluster)
                    .PlaceBuildAsync(new BuildPlacementRequest(reference, parse.GetValue(node), app.GatewayOf(parse)));
                var build = new RemoteBuild(client, nodeId, progress);
                var result = await build.RunAsync(input, reference, ct);
                if (result.Phase != ImageBuildPhase.Succeeded)
                {
                    return BuildReport.Write(app, result, asJson: false, build.Writer);
                }

                var manifest = result.Manifest!;
                progress.WriteLine($"Built {reference} {ImageReference.Short(manifest.Digest)} on {nodeId}; rolling out service {serviceName}...");
                var template = new VmSpec(
                    "",
                    parse.GetValue(vcpus) ?? manifest.Resources.Vcpu,
                    parse.GetValue(memory) ?? manifest.Resources.MemoryMiB,
                    parse.GetValue(disk) ?? manifest.Resources.DiskGiB,
                    reference,
                    parse.GetValue(node),
                    parse.GetResult(restart) is null ? RestartPolicy.OnFailure : parse.GetValue(restart),
                    ImageDigest: manifest.Digest,
                    NoEgress: parse.GetValue(noEgress),
                    Publish: parse.GetValue(publish) is { Length: > 0 } ports ? ports : null);
                // The flags' check (or the Formfile's with the flags' changes) was settled before the build; the image
                // carries the same HEALTHCHECK (its digest covers the Formfile), so both agree.
                var service = new ServiceSpec(serviceName, parse.GetValue(replicas), template, health ?? manifest.Health);
                ServiceRules.Validate(service);
                var grain = await client.ServiceAsync(serviceName);
                var started = await grain.DeployAsync(service);
                var info = await ServiceWait.UntilSettledAsync(grain, started, progress, ct);
                if (info!.Rollout == RolloutState.Failed)
                {
                    ServiceCommands.Write(app.Terminal.Error, info);
                    app.Terminal.Error.WriteLine($"form: {info.Message}");
                    return ExitCodes.Failed;
                }

                if (asJson)
                {
                    Json.Write(app.Terminal.Out, info);
                    return ExitCodes.Ok;
                }

                var o = app.Terminal.Out;
                o.WriteLine($"Service {info.Name} revision {info.Revision}: {info.Ready}/{info.Replicas} replica(s) running.");
                foreach (var replica in info.ReplicaList.Where(r => r.Revision == info.Revision && r.Serving))
                {
                    o.WriteLine($"VM {replica.Name} ({replica.VmId}) is running on {replica.NodeId} at {replica.Address ?? "(no network)"}.");
                    foreach (var port in manifest.ExposedPorts)
                    {
                        var scheme = port.Port is 80 or 8080 or 8000 ? "http://" : "";
                        o.WriteLine($"  {port}: {scheme}{replica.Address}:{port.Port}");
                    }
                }

                var first = info.ReplicaList.FirstOrDefault(r => r.Revision == info.Revision)?.Name ?? $"{serviceName}-1";
                o.WriteLine($"  service: form service show {serviceName}   logs: form vm logs {first} --follow   remove: form service delete {serviceName}");
                return ExitCodes.Ok;
            });
        });
        return command;
    }

    /// <summary>
    /// The health check of a deploy, validated: the one --health-http or --health-tcp describes (the Formfile's
    /// HEALTHCHECK then does not count); else the Formfile's, with any of --health-interval, --health-threshold and
    /// --health-start replacing its values; else none.
    /// </summary>
    public static HealthCheck? HealthFrom(string? http, int? tcp, double? interval, int? threshold, double? start, HealthCheck? formfile = null)
    {
        if (http is null && tcp is null)
        {
            if (formfile is null)
            {
                return interval is null && threshold is null && start is null
                    ? null
                    : throw FormationException.Invalid("--health-interval, --health-threshold and --health-start need --health-http or --health-tcp (or a HEALTHCHECK in the Formfile).");
            }

            var changed = formfile with
            {
                Interval = interval is { } fi ? TimeSpan.FromSeconds(fi) : formfile.Interval,
                Threshold = threshold ?? formfile.Threshold,
                StartPeriod = start is { } fs ? TimeSpan.FromSeconds(fs) : formfile.StartPeriod,
            };
            changed.Validate();
            return changed;
        }

        if (http is not null && tcp is not null)
        {
            throw FormationException.Invalid("Give --health-http or --health-tcp, not both.");
        }

        int port;
        string? path = null;
        if (http is not null)
        {
            var slash = http.IndexOf('/');
            var portText = slash < 0 ? http : http[..slash];
            path = slash < 0 ? "/" : http[slash..];
            if (!int.TryParse(portText, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out port))
            {
                throw FormationException.Invalid($"--health-http '{http}' is not PORT/PATH (for example 8080/healthz).");
            }
        }
        else
        {
            port = tcp!.Value;
        }

        var check = new HealthCheck(port, path,
            interval is { } i ? TimeSpan.FromSeconds(i) : HealthCheck.DefaultInterval,
            threshold ?? HealthCheck.DefaultThreshold,
            start is { } s ? TimeSpan.FromSeconds(s) : HealthCheck.DefaultStartPeriod);
        check.Validate();
        return check;
    }
}
