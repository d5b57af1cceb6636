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
        var command = new Command("add", "Route a host name to a service's port") { host, service, port };
        command.SetAction((parse, ct) => app.WithClusterAsync(parse, ct, async client =>
        {
            var added = await client.GetGrain<IRouteCatalogGrain>(GrainKeys.Cluster)
                .AddAsync(parse.GetValue(host)!, parse.GetValue(service)!, parse.GetValue(port));
            app.Terminal.Out.WriteLine($"Route {added.Host} → service {added.Service} port {added.Port} added; every node's edge proxy serves it within a second.");
            return ExitCodes.Ok;
        }));
        return command;
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

            var table = new TextTable("HOST", "SERVICE", "PORT", "CREATED");
            foreach (var r in routes)
            {
                table.Add(r.Host, r.Service, r.Port.ToString(), r.CreatedAt.ToString("u"));
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
