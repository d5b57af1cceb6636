using System.CommandLine;
using Formation.Cli.Output;
using Formation.Edge;

namespace Formation.Cli.Commands;

/// <summary><c>form route add|list|delete</c>: host names the edge proxy of every node sends to a service.</summary>
public static class RouteCommands
{
    public static Command Create(FormApp app)
    {
        var route = new Command("route", "Edge routes: HTTP requests for a host name, or TCP connections to a port, on any node go to a service's replicas");
        route.Subcommands.Add(AddCommand(app));
        route.Subcommands.Add(ListCommand(app));
        route.Subcommands.Add(DeleteCommand(app));
        return route;
    }

    private static Command AddCommand(FormApp app)
    {
        var host = new Argument<string?>("host") { Description = "Host name requests carry (e.g. shop.example.com); none with --tcp", Arity = ArgumentArity.ZeroOrOne };
        var tcp = new Option<int?>("--tcp") { Description = $"A TCP route instead: connections to this port ({EdgeRouteRules.FirstTcpListenPort}-65535) on any node go to the service", HelpName = "port" };
        var service = new Option<string>("--service") { Description = "Service to send them to", Required = true };
        var port = new Option<int>("--port") { Description = "The replicas' port (one the image EXPOSEs)", Required = true };
        var balance = new Option<string>("--balance") { Description = "How to choose a replica: round-robin (default) or least-requests", DefaultValueFactory = _ => "round-robin" };
        var cert = new Option<FileInfo?>("--tls-cert") { Description = "Serve HTTPS for the host with this certificate (PEM; with --tls-key)", HelpName = "file" };
        var key = new Option<FileInfo?>("--tls-key") { Description = "The certificate's private key (PEM)", HelpName = "file" };
        var selfSigned = new Option<bool>("--self-signed") { Description = "Serve HTTPS with a self-signed certificate the cluster makes (90 days)" };
        var command = new Command("add", "Route a host name (HTTP) or a TCP port to a service's port") { host, tcp, service, port, balance, cert, key, selfSigned };
        command.SetAction((parse, ct) =>
        {
            EdgeTlsRequest? tls;
            EdgeBalance policy;
            var name = parse.GetValue(host);
            var listen = parse.GetValue(tcp);
            try
            {
                policy = EdgeRouteRules.ParseBalance(parse.GetValue(balance)!);
                if (listen is { } l)
                {
                    if (name is not null)
                    {
                        throw new ArgumentException($"give a host name or --tcp PORT, not both ('{name}' and --tcp {l}).");
                    }

                    if (parse.GetValue(cert) is not null || parse.GetValue(key) is not null || parse.GetValue(selfSigned))
                    {
                        throw new ArgumentException("--tcp routes forward bytes as they are; TLS options (--tls-cert, --tls-key, --self-signed) are for host routes.");
                    }

                    EdgeRouteRules.RequireTcpListenPort(l);
                }
                else if (name is null)
                {
                    throw new ArgumentException("give the host name to route (`form route add shop.example.com --service NAME --port PORT`) or --tcp PORT.");
                }

                tls = TlsRequest(parse.GetValue(cert), parse.GetValue(key), parse.GetValue(selfSigned));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or Formation.Errors.FormationException)
            {
                app.Terminal.Error.WriteLine($"form: {ex.Message}");
                return Task.FromResult(ExitCodes.Failed);
            }

            return app.WithClusterAsync(parse, ct, async client =>
            {
                var catalog = client.GetGrain<IRouteCatalogGrain>(GrainKeys.Cluster);
                if (listen is { } listenPort)
                {
                    var tcpRoute = await catalog.AddTcpAsync(listenPort, parse.GetValue(service)!, parse.GetValue(port), policy);
                    app.Terminal.Out.WriteLine($"TCP route port {tcpRoute.ListenPort} → service {tcpRoute.Service} port {tcpRoute.Port} added " +
                        $"({EdgeRouteRules.BalanceName(tcpRoute.Balance)}); every node's edge listens on it within a second.");
                    return ExitCodes.Ok;
                }

                var added = await catalog.AddAsync(name!, parse.GetValue(service)!, parse.GetValue(port), tls, policy);
                app.Terminal.Out.WriteLine($"Route {added.Host} → service {added.Service} port {added.Port} added" +
                    (added.Tls is { } t ? $", HTTPS with {(t.SelfSigned ? "a self-signed certificate" : "the given certificate")} ({t.Subject}, until {t.NotAfter:yyyy-MM-dd})" : "") +
                    (added.Balance != EdgeBalance.RoundRobin ? $", {EdgeRouteRules.BalanceName(added.Balance)}" : "") +
                    "; every node's edge proxy serves it within a second.");
                return ExitCodes.Ok;
            });
        });
        return command;
    }

    /// <summary>Reads the PEM files named on the command line (the key never leaves this process except to the cluster).</summary>
    private static EdgeTlsRequest? TlsRequest(FileInfo? cert, FileInfo? key, bool selfSigned)
    {
        if (cert is null && key is null)
        {
            return selfSigned ? new EdgeTlsRequest(null, null, true) : null;
        }

        if (selfSigned)
        {
            throw new ArgumentException("give either --tls-cert/--tls-key or --self-signed, not both.");
        }

        if (cert is null || key is null)
        {
            throw new ArgumentException($"--tls-cert and --tls-key go together; {(cert is null ? "--tls-cert" : "--tls-key")} is missing.");
        }

        return new EdgeTlsRequest(File.ReadAllText(cert.FullName), File.ReadAllText(key.FullName), false);
    }

    private static Command ListCommand(FormApp app)
    {
        var json = FormApp.JsonOption();
        var command = new Command("list", "List the edge routes (HTTP by host name, TCP by port)") { json };
        command.SetAction((parse, ct) => app.WithClusterAsync(parse, ct, async client =>
        {
            var catalog = client.GetGrain<IRouteCatalogGrain>(GrainKeys.Cluster);
            var routes = await catalog.ListAsync();
            var tcp = await catalog.ListTcpAsync();
            if (parse.GetValue(json))
            {
                Json.Write(app.Terminal.Out, new RouteList(routes, tcp));
                return ExitCodes.Ok;
            }

            if (routes.Count == 0 && tcp.Count == 0)
            {
                app.Terminal.Out.WriteLine("No routes. `form route add HOST --service NAME --port PORT` (or `--tcp PORT` instead of HOST) makes one.");
                return ExitCodes.Ok;
            }

            if (routes.Count > 0)
            {
                var table = new TextTable("HOST", "SERVICE", "PORT", "TLS", "BALANCE", "CREATED");
                foreach (var r in routes)
                {
                    var tls = r.Tls is { } t ? $"{(t.SelfSigned ? "self-signed" : "certificate")} until {t.NotAfter:yyyy-MM-dd}" : "-";
                    table.Add(r.Host, r.Service, r.Port.ToString(), tls, EdgeRouteRules.BalanceName(r.Balance), r.CreatedAt.ToString("u"));
                }

                app.Terminal.Write(table);
            }

            if (tcp.Count > 0)
            {
                var table = new TextTable("TCP PORT", "SERVICE", "PORT", "BALANCE", "CREATED");
                foreach (var r in tcp)
                {
                    table.Add(r.ListenPort.ToString(), r.Service, r.Port.ToString(), EdgeRouteRules.BalanceName(r.Balance), r.CreatedAt.ToString("u"));
                }

                app.Terminal.Write(table);
            }

            return ExitCodes.Ok;
        }));
        return command;
    }

    /// <summary><c>form route list --json</c>: both kinds of route.</summary>
    private sealed record RouteList(IReadOnlyList<EdgeRoute> Http, IReadOnlyList<EdgeTcpRoute> Tcp);

    private static Command DeleteCommand(FormApp app)
    {
        var host = new Argument<string?>("host") { Description = "Host name of the route; none with --tcp", Arity = ArgumentArity.ZeroOrOne };
        var tcp = new Option<int?>("--tcp") { Description = "Delete the TCP route of this port instead", HelpName = "port" };
        var command = new Command("delete", "Delete an edge route (its listeners close; open TCP connections finish)") { host, tcp };
        command.SetAction((parse, ct) =>
        {
            var name = parse.GetValue(host);
            var listen = parse.GetValue(tcp);
            if ((name is null) == (listen is null))
            {
                app.Terminal.Error.WriteLine("form: give the route's host name or --tcp PORT (one of them).");
                return Task.FromResult(ExitCodes.Failed);
            }

            return app.WithClusterAsync(parse, ct, async client =>
            {
                var catalog = client.GetGrain<IRouteCatalogGrain>(GrainKeys.Cluster);
                if (listen is { } port)
                {
                    var gone = await catalog.DeleteTcpAsync(port);
                    app.Terminal.Out.WriteLine($"TCP route port {gone.ListenPort} deleted.");
                    return ExitCodes.Ok;
                }

                var deleted = await catalog.DeleteAsync(name!);
                app.Terminal.Out.WriteLine($"Route {deleted.Host} deleted.");
                return ExitCodes.Ok;
            });
        });
        return command;
    }
}
