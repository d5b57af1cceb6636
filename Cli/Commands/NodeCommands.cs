using System.CommandLine;
using Formation.Cli.Output;
using Formation.Display;
using Formation.Nodes;

namespace Formation.Cli.Commands;

/// <summary><c>form node list</c>, <c>form node revoke</c>, <c>form node token create</c>.</summary>
public static class NodeCommands
{
    public static Command Create(FormApp app)
    {
        var node = new Command("node", "Hosts in the cluster");
        var json = FormApp.JsonOption();
        var list = new Command("list", "List nodes with their health, driver and capacity") { json };
        list.SetAction((parse, ct) => app.WithReadsAsync(parse, ct, async reads =>
        {
            var nodes = await reads.ListNodesAsync(ct);
            if (parse.GetValue(json))
            {
                Json.Write(app.Terminal.Out, nodes);
            }
            else
            {
                Render(app.Terminal, nodes);
            }

            return ExitCodes.Ok;
        }));
        node.Subcommands.Add(list);
        node.Subcommands.Add(Drain(app));
        node.Subcommands.Add(Undrain(app));
        node.Subcommands.Add(Revoke(app));
        node.Subcommands.Add(Token(app));
        return node;
    }

    /// <summary><c>form node drain NODE</c>: no new VMs there, and its running VMs migrate to other nodes.</summary>
    private static Command Drain(FormApp app)
    {
        var nodeId = new Argument<string>("node") { Description = "The node to empty (`form node list`)" };
        var json = FormApp.JsonOption();
        var drain = new Command("drain",
            "Stop placing VMs on a node and migrate its running VMs to other nodes of its driver, one at a time (admins only); " +
            "stopped VMs stay. `form node undrain` takes it back.") { nodeId, json };
        drain.SetAction((parse, ct) => app.WithClusterAsync(parse, ct, async client =>
        {
            var name = parse.GetValue(nodeId)!;
            var results = await client.GetGrain<Vms.IVmCatalogGrain>(GrainKeys.Cluster).DrainNodeAsync(name);
            if (parse.GetValue(json))
            {
                Json.Write(app.Terminal.Out, results);
            }
            else
            {
                var table = new TextTable("VM", "ID", "MOVED TO", "PROBLEM");
                foreach (var r in results)
                {
                    table.Add(r.Name, r.VmId, r.MovedTo ?? "-", r.Problem ?? "");
                }

                if (results.Count > 0)
                {
                    app.Terminal.Write(table);
                }

                app.Terminal.Out.WriteLine($"Node {name} is drained: it takes no new VMs; {results.Count(r => r.MovedTo is not null)} VM(s) moved, " +
                    $"{results.Count(r => r.MovedTo is null)} left on it.");
            }

            var failed = results.Where(r => r.Failed).ToList();
            foreach (var f in failed)
            {
                app.Terminal.Error.WriteLine($"form: VM {f.Name} did not move: {f.Problem}");
            }

            return failed.Count == 0 ? ExitCodes.Ok : ExitCodes.Failed;
        }));
        return drain;
    }

    /// <summary><c>form node undrain NODE</c>.</summary>
    private static Command Undrain(FormApp app)
    {
        var nodeId = new Argument<string>("node") { Description = "The drained node (`form node list`)" };
        var undrain = new Command("undrain", "Let a drained node take new VMs again (admins only)") { nodeId };
        undrain.SetAction((parse, ct) => app.WithClusterAsync(parse, ct, async client =>
        {
            var name = parse.GetValue(nodeId)!;
            await client.GetGrain<Scheduling.ISchedulerGrain>(GrainKeys.Cluster).SetDrainedAsync(name, drained: false);
            app.Terminal.Out.WriteLine($"Node {name} takes new VMs again.");
            return ExitCodes.Ok;
        }));
        return undrain;
    }

    /// <summary><c>form node revoke NODE</c>: the node's certificate joins the revoked set; every silo refuses its proofs within seconds.</summary>
    private static Command Revoke(FormApp app)
    {
        var nodeId = new Argument<string>("node") { Description = "The node whose certificate to revoke (`form node list`)" };
        var json = FormApp.JsonOption();
        var revoke = new Command("revoke", "Revoke a node's certificate: every silo refuses the node's calls within seconds (admins only)") { nodeId, json };
        revoke.SetAction((parse, ct) => app.WithClusterAsync(parse, ct, async client =>
        {
            var name = parse.GetValue(nodeId)!;
            var serials = await client.GetGrain<Identity.IAccountRegistryGrain>(GrainKeys.Cluster).RevokeNodeAsync(name);
            if (parse.GetValue(json))
            {
                Json.Write(app.Terminal.Out, serials);
                return ExitCodes.Ok;
            }

            app.Terminal.Out.WriteLine(serials.Count == 0
                ? $"Node {name}'s certificate was revoked already."
                : $"Revoked node {name}'s certificate (serial {string.Join(", ", serials)}): every silo refuses its calls within seconds. " +
                  "To bring the host back, give it a new join token (`form node token create`) and a fresh data directory.");
            return ExitCodes.Ok;
        }));
        return revoke;
    }

    /// <summary><c>form node token create [--ttl 1h]</c>: a one-time token that admits one new node to the cluster.</summary>
    private static Command Token(FormApp app)
    {
        var ttl = new Option<string>("--ttl") { Description = "How long the token admits a node (1m to 7d, e.g. 30m, 1h, 2d; default 1h)", DefaultValueFactory = _ => "1h" };
        var json = FormApp.JsonOption();
        var create = new Command("create", "Make a one-time join token for a new node (cluster mode, admin)") { ttl, json };
        create.SetAction((parse, ct) =>
        {
            if (!Durations.TryParse(parse.GetValue(ttl)!, out var lifetime))
            {
                return Task.FromResult(app.Fail(Errors.FormationException.Invalid(
                    $"--ttl '{parse.GetValue(ttl)}' is not a duration: use e.g. 30m, 1h or 2d.")));
            }

            return app.WithClusterAsync(parse, ct, async client =>
            {
                var issued = await client.GetGrain<Identity.IJoinTokenGrain>("cluster").CreateAsync(lifetime);
                if (parse.GetValue(json))
                {
                    Json.Write(app.Terminal.Out, issued);
                    return ExitCodes.Ok;
                }

                app.Terminal.Out.WriteLine(issued.Token);
                app.Terminal.Error.WriteLine($"Admits one node until {issued.ExpiresAt:u}; the cluster keeps only its hash. On the new node run:");
                app.Terminal.Error.WriteLine($"  formation-silo --mode cluster --postgres \"…\" --join-token {issued.Token} --join-address {issued.JoinEndpoint}");
                return ExitCodes.Ok;
            });
        });
        var token = new Command("token", "Join tokens for new nodes");
        token.Subcommands.Add(create);
        return token;
    }

    private static void Render(Terminal terminal, IReadOnlyList<NodeStatus> nodes)
    {
        if (nodes.Count == 0)
        {
            terminal.Out.WriteLine("No nodes have registered yet.");
            return;
        }

        var now = DateTimeOffset.UtcNow;
        var table = new TextTable("NODE", "HEALTH", "DRIVER", "VCPU USED/ALL", "MEMORY USED/ALL", "DISK USED/ALL", "VMS", "HEARTBEAT", "GATEWAY");
        foreach (var n in nodes)
        {
            var a = n.Info.Allocatable;
            var r = n.Reserved;
            table.Add(n.NodeId, n.Revoked is not null ? "revoked" : n.Drained ? Format.HealthCell(n.Health) + " (drained)" : Format.HealthCell(n.Health), n.Info.HypervisorDriver, $"{r.VCpus}/{a.VCpus}",
                $"{Units.MiB(r.MemoryMiB)}/{Units.MiB(a.MemoryMiB)}", $"{r.DiskGiB}/{a.DiskGiB} GiB", n.VmCount.ToString(),
                Units.Ago(n.LastHeartbeat, now), n.Info.GatewayEndpoint);
        }

        terminal.Write(table);
        terminal.Out.WriteLine();
        foreach (var n in nodes)
        {
            terminal.Out.WriteLine($"{n.NodeId}: driver {n.Info.HypervisorDriver} — {n.Info.HypervisorReason}");
            if (n.Revoked is { } revoked)
            {
                terminal.Out.WriteLine($"{n.NodeId}: certificate revoked {Units.Ago(revoked, now)} (`form node revoke`): the cluster refuses its calls");
            }

            if (n.Info.Multiaddrs is { Count: > 0 } addrs)
            {
                terminal.Out.WriteLine($"{n.NodeId}: libp2p {string.Join(" ", addrs)}");
            }
        }
    }
}
