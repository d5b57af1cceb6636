using Formation.Cli.Commands;
using Formation.Cli.Connection;
using Formation.Connection;
using Formation.Errors;
using Formation.Vms;

namespace Formation.Cli.Fast;

/// <summary>
/// <c>form vm create</c> and <c>form vm delete</c> over the local API sockets, printing what the full CLI prints with
/// its output redirected. A silo that cannot be reached before anything was sent is skipped for the next one; when no
/// socket is left, or a request may have reached a silo that then failed, the command goes to the full CLI
/// (<see cref="HandOverException"/>), which retries it on the live silos or through the Orleans client, the create with
/// the same request id.
/// </summary>
public static class FastCommands
{
    public static async Task<int> RunAsync(FastArgs args, TextWriter output, TextWriter error)
    {
        var settings = Settings(args);
        var clients = LocalApiClient.AllFor(settings, blocking: true);
        if (clients.Count == 0)
        {
            throw new HandOverException(inDoubt: false); // no silo of this host serves the target: the Orleans path
        }

        try
        {
            return args.Verb == FastArgs.Create ? await CreateAsync(args, clients, output) : await DeleteAsync(args, clients, output);
        }
        catch (Exception ex) when (ex is not HandOverException)
        {
            // As the full CLI's FormApp.Fail words the failures this path can meet: the silo's error, or a local API
            // answer it cannot read.
            error.WriteLine($"form: {ex.Message}");
            return ExitCodes.Failed;
        }
    }

    private static async Task<int> CreateAsync(FastArgs args, IReadOnlyList<LocalApiClient> clients, TextWriter output)
    {
        // The same spec the full CLI builds for these options (a fresh request id unless one was given).
        var requestId = args.Value("--request-id") ?? Guid.NewGuid().ToString("N");
        var spec = new VmSpec(args.Value("--name")!, int.Parse(args.Value("--vcpus")!), long.Parse(args.Value("--memory")!),
            args.Value("--disk") is { } disk ? long.Parse(disk) : 10, args.Value("--image"), args.Value("--node"), RequestId: requestId);
        VmSpecRules.Validate(spec);
        var handOver = args.Value("--request-id") is null ? new[] { "--request-id", requestId } : [];
        var wait = !args.Flags.Contains("--no-wait");
        var info = await OnFirstLiveAsync(clients, handOver, async calls =>
        {
            // One request: the silo answers when the VM is Running (or failed). Still not there (a boot longer than the
            // silo waits, or a silo that answers at once): wait on.
            var created = await calls.CreateVmAsync(spec, wait ? VmState.Running : null, CancellationToken.None);
            return !wait || created.State is VmState.Running or VmState.Failed
                ? created
                : await VmPolling.WaitForAsync(calls, created.Id, VmState.Running, CancellationToken.None);
        });
        output.WriteLine($"Created VM {info.Name} ({info.Id}) on node {info.NodeId}: {info.State}");
        return info.State == VmState.Failed ? ExitCodes.Failed : ExitCodes.Ok;
    }

    private static async Task<int> DeleteAsync(FastArgs args, IReadOnlyList<LocalApiClient> clients, TextWriter output)
    {
        var info = await OnFirstLiveAsync(clients, [], calls => calls.DeleteVmAsync(args.Target!, CancellationToken.None));
        output.WriteLine($"VM {info.Name} ({info.Id}): {info.State}");
        return ExitCodes.Ok;
    }

    /// <summary>The first socket that accepts the connection answers; transport trouble after that goes to the full CLI.</summary>
    private static async Task<T> OnFirstLiveAsync<T>(IReadOnlyList<LocalApiClient> clients, string[] handOverArgs, Func<LocalApiClient, Task<T>> call)
    {
        foreach (var client in clients)
        {
            try
            {
                return await call(client);
            }
            catch (LocalApiUnavailableException)
            {
                // Nothing was sent: the next silo of this host, as the full CLI's front door does.
            }
            catch (Exception ex) when (TransientFaults.IsTransient(ex))
            {
                throw new HandOverException(inDoubt: true, handOverArgs);
            }
        }

        throw new HandOverException(inDoubt: false);
    }

    /// <summary>The full CLI's connection settings for these options (FormApp.Settings): the gateways decide the sockets.</summary>
    private static ConnectionSettings Settings(FastArgs args)
    {
        var gateway = args.Value("--gateway") ?? Environment.GetEnvironmentVariable("FORMATION_GATEWAY") ?? ConnectionSettings.DefaultGateway;
        var postgres = args.Value("--postgres") ?? Environment.GetEnvironmentVariable("FORMATION_POSTGRES");
        return new ConnectionSettings(gateway, string.IsNullOrWhiteSpace(postgres) ? null : postgres, args.Value("--cluster-id") ?? "formation",
            "formation", TimeSpan.FromSeconds(5));
    }
}

/// <summary>The command goes to the full CLI: <see cref="InDoubt"/> when a request may have taken effect; extra arguments to add.</summary>
public sealed class HandOverException(bool inDoubt, string[]? extraArgs = null) : Exception("handed to the full CLI")
{
    public bool InDoubt { get; } = inDoubt;

    public IReadOnlyList<string> ExtraArgs { get; } = extraArgs ?? [];
}
