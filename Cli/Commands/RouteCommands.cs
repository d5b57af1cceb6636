using System.CommandLine;
using Formation.Cli.Output;
using Formation.Edge;

namespace Formation.Cli.Commands;

/// <summary><c>form route add|list|delete</c>: host names the edge proxy of every node sends to a service.</summary>
public static class RouteCommands
{
    public static Command Create(FormApp app)
    {
        var route = new Command("route", "Edge routes: HTTP requests for a host name, on any node's edge port, go to a service's replicas");
        route.Subcommands.Add(AddCommand(app));
        route.Subcommands.Add(ListCommand(app));
        route.Subcommands.Add(DeleteCommand(app));
        return route;
    }

    private static Command AddCommand(FormApp app)
    {
        var host = new Argument<string>("host") { Description = "Host name requests carry (e.g. shop.example.com)" };
        var service = new Option<string>("--service") { Description = "Service to send them to", Required = true };
        var port = new Option<int>("--port") { Description = "The replicas' port (one the image EXPOSEs)", Required = true };
        var cert = new Option<FileInfo?>("--tls-cert") { Description = "Serve HTTPS for the host with this certificate (PEM; with --tls-key)", HelpName = "file" };
        var key = new Option<FileInfo?>("--tls-key") { Description = "The certificate's private key (PEM)", HelpName = "file" };
        var selfSigned = new Option<bool>("--self-signed") { Description = "Serve HTTPS with a self-signed certificate the cluster makes (90 days)" };
        var command = new Command("add", "Route a host name to a service's port") { host, service, port, cert, key, selfSigned };
        command.SetAction((parse, ct) =>
        {
            EdgeTlsRequest? tls;
            try
            {
                tls = TlsRequest(parse.GetValue(cert), parse.GetValue(key), parse.GetValue(selfSigned));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
            {
                app.Terminal.Error.WriteLine($"form: {ex.Message}");
                return Task.FromResult(ExitCodes.Failed);
            }

            return app.WithClusterAsync(parse, ct, async client =>
            {
                var added = await client.GetGrain<IRouteCatalogGrain>(GrainKeys.Cluster)
                    .AddAsync(parse.GetValue(host)!, parse.GetValue(service)!, parse.GetValue(port), tls);
                app.Terminal.Out.WriteLine($"Route {added.Host} → service {added.Service} port {added.Port} added" +
                    (added.Tls is { } t ? $", HTTPS with {(t.SelfSigned ? "a self-signed certificate" : "the given certificate")} ({t.Subject}, until {t.NotAfter:yyyy-MM-dd})" : "") +
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
        var command = new Command("list", "List the edge routes") { json };
        command.SetAction((parse, ct) => app.WithClusterAsync(parse, ct, async client =>
        {
            var routes = await client.GetGrain<IRouteCatalogGrain>(GrainKeys.Cluster).ListAsync();
            if (parse.GetValue(json))
            {
                Json.Write(app.Terminal.Out, routes);
                return ExitCodes.Ok;
            }

            if (routes.Count == 0)
            {
                app.Terminal.Out.WriteLine("No routes. `form route add HOST --service NAME --port PORT` makes one.");
                return ExitCodes.Ok;
            }

            var table = new TextTable("HOST", "SERVICE", "PORT", "TLS", "CREATED");
            foreach (var r in routes)
            {
                var tls = r.Tls is { } t ? $"{(t.SelfSigned ? "self-signed" : "certificate")} until {t.NotAfter:yyyy-MM-dd}" : "-";
                table.Add(r.Host, r.Service, r.Port.ToString(), tls, r.CreatedAt.ToString("u"));
            }

            app.Terminal.Write(table);
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command DeleteCommand(FormApp app)
    {
        var host = new Argument<string>("host") { Description = "Host name of the route" };
        var command = new Command("delete", "Delete an edge route") { host };
        command.SetAction((parse, ct) => app.WithClusterAsync(parse, ct, async client =>
        {
            var deleted = await client.GetGrain<IRouteCatalogGrain>(GrainKeys.Cluster).DeleteAsync(parse.GetValue(host)!);
            app.Terminal.Out.WriteLine($"Route {deleted.Host} deleted.");
            return ExitCodes.Ok;
        }));
        return command;
    }
}
