using System.CommandLine;
using Formation.Cli.Commands;
using Formation.Cli.Connection;
using Formation.Cli.Output;
using Formation.Connection;
using Formation.Errors;
using Formation.LocalApi;

namespace Formation.Cli;

/// <summary>The <c>form</c> command line: global options, the nouns, and one place that turns failures into exit codes.</summary>
public sealed class FormApp
{
    public FormApp(Terminal terminal)
    {
        Terminal = terminal;
        Gateway = new Option<string>("--gateway")
        {
            Description = "Gateway of a silo, HOST:PORT (default: $FORMATION_GATEWAY or 127.0.0.1:30000)",
            Recursive = true,
            HelpName = "host:port",
        };
        Postgres = new Option<string?>("--postgres")
        {
            Description = "Cluster mode: find silos through this PostgreSQL connection string (default: $FORMATION_POSTGRES)",
            Recursive = true,
            HelpName = "connection-string",
        };
        ClusterId = new Option<string>("--cluster-id")
        {
            Description = "Orleans cluster id (default: formation)",
            Recursive = true,
            DefaultValueFactory = _ => "formation",
        };
        Root = new RootCommand("form — the Formation command line: nodes, VMs and the cluster.");
        Root.Options.Add(Gateway);
        Root.Options.Add(Postgres);
        Root.Options.Add(ClusterId);
        Root.Subcommands.Add(NodeCommands.Create(this));
        Root.Subcommands.Add(VmCommands.Create(this));
        Root.Subcommands.Add(ClusterCommands.Create(this));
        Root.Subcommands.Add(PackCommands.Create(this));
        Root.Subcommands.Add(ImageCommands.Create(this));
        Root.Subcommands.Add(DeployCommand.Create(this));
        Root.Subcommands.Add(NetCommands.Create(this));
    }

    public Terminal Terminal { get; }

    public RootCommand Root { get; }

    public Option<string> Gateway { get; }

    public Option<string?> Postgres { get; }

    public Option<string> ClusterId { get; }

    /// <summary>How long to wait for a silo before giving up with exit code 2.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Whether read commands may use a local silo's API socket (FORM_LOCAL_API=0 turns it off).</summary>
    public bool UseLocalApi { get; init; } = Environment.GetEnvironmentVariable("FORM_LOCAL_API") != "0";

    public static Task<int> RunAsync(string[] args) => new FormApp(Terminal.Standard()).InvokeAsync(args);

    public async Task<int> InvokeAsync(string[] args, CancellationToken cancellationToken = default)
    {
        var parse = Root.Parse(args);
        // Ctrl-C and SIGTERM cancel the action's token (follow loops end, builds cancel on the node); after 5 s the
        // process exits anyway.
        var config = new InvocationConfiguration { Output = Terminal.Out, Error = Terminal.Error, ProcessTerminationTimeout = TimeSpan.FromSeconds(5) };
        return await parse.InvokeAsync(config, cancellationToken);
    }

    /// <summary>A standard <c>--json</c> option for read commands.</summary>
    public static Option<bool> JsonOption() => new("--json") { Description = "Print JSON instead of a table" };

    /// <summary>Connects, runs the action, and maps every failure to a message and an exit code.</summary>
    public async Task<int> WithClusterAsync(ParseResult parse, CancellationToken cancellationToken, Func<IClusterClient, Task<int>> action)
    {
        try
        {
            await using var connection = await ClusterConnection.ConnectAsync(Settings(parse), cancellationToken);
            Trace.Mark("calling");
            var code = await action(connection.Client);
            Trace.Mark("called");
            return code;
        }
        catch (Exception ex)
        {
            return Fail(ex);
        }
    }

    /// <summary>
    /// Runs a read-only action: through the local API socket when the target silo is on this host (no Orleans client to
    /// start), else, or when that socket does not answer, through the Orleans client. Set FORM_LOCAL_API=0 to always
    /// use the Orleans client.
    /// </summary>
    public async Task<int> WithReadsAsync(ParseResult parse, CancellationToken cancellationToken, Func<IFormationReads, Task<int>> action)
    {
        if (UseLocalApi && LocalApiClient.For(Settings(parse)) is { } local)
        {
            try
            {
                Trace.Mark("local api");
                var code = await action(local);
                Trace.Mark("answered");
                return code;
            }
            catch (LocalApiUnavailableException ex)
            {
                Trace.Mark($"local api unavailable ({ex.Message}); using the gateway");
            }
            catch (Exception ex)
            {
                return Fail(ex);
            }
        }

        return await WithClusterAsync(parse, cancellationToken, client => action(new GrainReads(client)));
    }

    /// <summary>Prints a failure without a stack trace (set FORM_DEBUG=1 to see one) and returns its exit code.</summary>
    public int Fail(Exception ex)
    {
        var (code, message) = ex switch
        {
            NoSiloException e => (ExitCodes.NoSilo, e.Message),
            FormationException e => (ExitCodes.Failed, e.Message),
            TimeoutException => (ExitCodes.Failed, "the cluster did not answer in time; check `form cluster status` and the silo logs."),
            OperationCanceledException => (ExitCodes.Failed, "cancelled."),
            _ => (ExitCodes.Failed, ex.Message),
        };
        Terminal.Error.WriteLine($"form: {message}");
        if (Environment.GetEnvironmentVariable("FORM_DEBUG") == "1")
        {
            Terminal.Error.WriteLine(ex.ToString());
        }

        return code;
    }

    /// <summary>The gateway this invocation talks to: --gateway, else $FORMATION_GATEWAY, else the local default.</summary>
    public string GatewayOf(ParseResult parse) =>
        parse.GetValue(Gateway) ?? Environment.GetEnvironmentVariable("FORMATION_GATEWAY") ?? ConnectionSettings.DefaultGateway;

    private ConnectionSettings Settings(ParseResult parse)
    {
        var gateway = GatewayOf(parse);
        var postgres = parse.GetValue(Postgres) ?? Environment.GetEnvironmentVariable("FORMATION_POSTGRES");
        var clusterId = parse.GetValue(ClusterId) ?? "formation";
        return new ConnectionSettings(gateway, string.IsNullOrWhiteSpace(postgres) ? null : postgres, clusterId, "formation", ConnectTimeout);
    }
}
