using Formation.Connection;
using Formation.Errors;
using Formation.LocalApi;

namespace Formation.Cli.Connection;

/// <summary>
/// How <c>form</c> reaches the cluster for reads and retry-safe writes: each loopback gateway's local API socket in the
/// order given (no Orleans client to start), else the Orleans client over every gateway. A transport failure (a silo
/// died, a grain's silo went away) is retried, with back-off, on the silos still alive until <c>patience</c> runs out;
/// only calls that are safe to repeat come here (reads, creates carrying a request id, deletes).
/// </summary>
public sealed class FrontDoor(ConnectionSettings settings, bool useLocalApi, TimeSpan patience) : IAsyncDisposable
{
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(2);
    private readonly HashSet<string> _deadSockets = new(StringComparer.Ordinal);
    private ClusterConnection? _cluster;

    /// <summary>
    /// Set by form-fast (Cli.Fast) when it hands a command over after its own attempt may have reached a silo: this
    /// process's first attempt is then already a repeat.
    /// </summary>
    public const string InDoubtVariable = "FORM_FRONT_IN_DOUBT";

    /// <summary>True once an attempt failed after its request may have reached the cluster: a repeat may find its effect.</summary>
    public bool InDoubt { get; private set; } = Environment.GetEnvironmentVariable(InDoubtVariable) == "1";

    /// <summary>Runs <paramref name="call"/> until it answers, fails for a reason of its own, or patience runs out.</summary>
    public async Task<T> CallAsync<T>(Func<IFormationCalls, Task<T>> call, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + patience;
        var backoff = TimeSpan.FromMilliseconds(200);
        Exception? last = null;
        var anySiloAnswered = false;
        while (true)
        {
            var localLeft = false;
            foreach (var local in useLocalApi ? LocalApiClient.AllFor(settings) : [])
            {
                if (_deadSockets.Contains(local.SocketPath))
                {
                    continue;
                }

                localLeft = true;
                try
                {
                    Trace.Mark($"local api {local.SocketPath}");
                    return await call(local);
                }
                catch (LocalApiUnavailableException ex)
                {
                    Trace.Mark($"local api unavailable ({ex.Message})");
                    _deadSockets.Add(local.SocketPath);
                }
                catch (Exception ex) when (TransientFaults.IsTransient(ex) && !cancellationToken.IsCancellationRequested)
                {
                    Trace.Mark($"transient failure ({ex.GetType().Name}: {ex.Message})");
                    (InDoubt, last, anySiloAnswered) = (true, ex, true);
                    if (ex is IOException or System.Net.Sockets.SocketException)
                    {
                        _deadSockets.Add(local.SocketPath); // the silo died under us; its neighbours take over
                    }

                    break;
                }
            }

            if (!localLeft)
            {
                try
                {
                    _cluster ??= await ClusterConnection.ConnectAsync(settings, cancellationToken);
                    anySiloAnswered = true;
                    Trace.Mark("calling");
                    return await call(new GrainCalls(_cluster.Client));
                }
                catch (NoSiloException) when (!anySiloAnswered)
                {
                    throw;
                }
                catch (Exception ex) when ((ex is NoSiloException || TransientFaults.IsTransient(ex)) && !cancellationToken.IsCancellationRequested)
                {
                    Trace.Mark($"transient failure ({ex.GetType().Name}: {ex.Message})");
                    InDoubt |= ex is not NoSiloException;
                    last = ex;
                }
            }

            if (DateTime.UtcNow + backoff > deadline)
            {
                throw new ClusterUnavailableException(
                    $"the cluster did not complete the command within {patience.TotalSeconds:0} s: silos kept going away or not answering " +
                    $"(last: {Describe(last)}). Check `form cluster status` and `form node list`, then run the command again.");
            }

            await Task.Delay(backoff, cancellationToken);
            backoff = backoff * 2 > MaxBackoff ? MaxBackoff : backoff * 2;
        }
    }

    /// <summary>A transport failure in a user's words, without the transport's exception text.</summary>
    public static string Describe(Exception? ex) => ex switch
    {
        null => "no answer",
        LocalApiTransientException t => t.Message,
        NoSiloException => "no gateway accepted a connection",
        TimeoutException => "a request timed out",
        IOException or System.Net.Sockets.SocketException => "a silo closed the connection",
        _ when ex.GetType().Name is "SiloUnavailableException" => "a silo the request needed is gone",
        _ when ex.GetType().Name is "ConnectionFailedException" or "ConnectionAbortedException" => "the connection to a gateway failed",
        _ => $"the cluster rejected the message ({ex.GetType().Name})",
    };

    public async ValueTask DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
    }
}
