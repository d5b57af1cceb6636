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
        Credential = new Option<string?>("--credential")
        {
            Description = "Cluster mode: the credential file to connect with (default: $FORMATION_CREDENTIAL, ~/.config/formation/credential, " +
                "or root's /var/lib/formation/identity/admin.credential)",
            Recursive = true,
            HelpName = "file",
        };
        Root = new RootCommand("form — the Formation command line: nodes, VMs and the cluster.");
        Root.Options.Add(Gateway);
        Root.Options.Add(Postgres);
        Root.Options.Add(ClusterId);
        Root.Options.Add(Credential);
        Root.Subcommands.Add(NodeCommands.Create(this));
        Root.Subcommands.Add(PeerCommands.Create(this));
        Root.Subcommands.Add(VmCommands.Create(this));
        Root.Subcommands.Add(SnapshotCommands.Create(this));
        Root.Subcommands.Add(ClusterCommands.Create(this));
        Root.Subcommands.Add(PackCommands.Create(this));
        Root.Subcommands.Add(ImageCommands.Create(this));
        Root.Subcommands.Add(DeployCommand.Create(this));
        Root.Subcommands.Add(ServiceCommands.Create(this));
        Root.Subcommands.Add(RouteCommands.Create(this));
        Root.Subcommands.Add(NetCommands.Create(this));
        Root.Subcommands.Add(TopCommand.Create(this));
        Root.Subcommands.Add(AccountCommands.Create(this));
        Root.Subcommands.Add(LoginCommands.Login(this));
        Root.Subcommands.Add(LoginCommands.WhoAmI(this));
        Root.Subcommands.Add(QuotaCommands.Create(this));
        Root.Subcommands.Add(AuditCommand.Create(this));
    }

    public Terminal Terminal { get; }

    public RootCommand Root { get; }

    public Option<string> Gateway { get; }

    public Option<string?> Postgres { get; }

    public Option<string> ClusterId { get; }

    public Option<string?> Credential { get; }

    /// <summary>How long to wait for a silo before giving up with exit code 2.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long retry-safe commands keep trying the live silos when silos die under them.</summary>
    public TimeSpan RetryPatience { get; init; } = TimeSpan.FromSeconds(60);

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
    /// Runs a read-only action through the <see cref="FrontDoor"/>: a local silo's API socket when the target is on this
    /// host (no Orleans client to start), else the Orleans client; retried on the live silos when one dies.
    /// </summary>
    public Task<int> WithReadsAsync(ParseResult parse, CancellationToken cancellationToken, Func<IFormationReads, Task<int>> action) =>
        WithFrontDoorAsync(parse, cancellationToken, (calls, _) => action(calls));

    /// <summary>
    /// Runs an action that is safe to repeat (reads, a create with a request id, a delete) through the
    /// <see cref="FrontDoor"/>; the action learns whether an earlier attempt may already have taken effect.
    /// </summary>
    public async Task<int> WithFrontDoorAsync(ParseResult parse, CancellationToken cancellationToken, Func<IFormationCalls, bool, Task<int>> action)
    {
        try
        {
            await using var door = new FrontDoor(Settings(parse), UseLocalApi && !ActsAsAccount(parse), RetryPatience);
            var code = await door.CallAsync(calls => action(calls, door.InDoubt), cancellationToken);
            Trace.Mark("answered");
            return code;
        }
        catch (Exception ex)
        {
            return Fail(ex);
        }
    }

    /// <summary>Prints a failure without a stack trace (set FORM_DEBUG=1 to see one) and returns its exit code.</summary>
    public int Fail(Exception ex)
    {
        var (code, message) = ex switch
        {
            NoSiloException e => (ExitCodes.NoSilo, e.Message),
            FormationException e => (ExitCodes.Failed, e.Message),
            Formation.Identity.CredentialException e => (ExitCodes.Failed, e.Message),
            ClusterUnavailableException e => (ExitCodes.Failed, e.Message),
            OperationCanceledException => (ExitCodes.Failed, "cancelled."),
            _ when TransientFaults.IsTransient(ex) => (ExitCodes.Failed,
                $"the cluster lost this command ({FrontDoor.Describe(ex)}); it may or may not have taken effect. " +
                "Check with `form vm list` (or `form vm show NAME`) and run it again if needed; `form cluster status` shows the silos."),
            _ when ex.GetType().Namespace?.StartsWith("Orleans", StringComparison.Ordinal) == true => (ExitCodes.Failed,
                $"the cluster could not run the command ({ex.GetType().Name}). Check `form cluster status` and the silo logs, then try again."),
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

    /// <summary>True when this invocation acts as an account other than admin: it must not use the local API socket.</summary>
    private bool ActsAsAccount(ParseResult parse) => Formation.Identity.CredentialPaths.ActsAsAccount(parse.GetValue(Credential));

    private ConnectionSettings Settings(ParseResult parse)
    {
        var gateway = GatewayOf(parse);
        var postgres = parse.GetValue(Postgres) ?? Environment.GetEnvironmentVariable("FORMATION_POSTGRES");
        var clusterId = parse.GetValue(ClusterId) ?? "formation";
        return new ConnectionSettings(gateway, string.IsNullOrWhiteSpace(postgres) ? null : postgres, clusterId, "formation", ConnectTimeout,
            Formation.Identity.CredentialPaths.Resolve(parse.GetValue(Credential)));
    }
}
