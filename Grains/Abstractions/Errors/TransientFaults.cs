using System.Net.Sockets;

namespace Formation.Errors;

/// <summary>
/// Failures of the transport rather than of the request: a silo or gateway went away, a message was rejected or timed
/// out in flight. Such a command may be retried on another silo where that is safe (reads, creates with a request id,
/// deletes), and is otherwise reported as "in doubt", never as the transport's own text. Orleans' exception types are
/// matched by name: clients and the contracts need not reference the runtime assembly that declares them.
/// </summary>
public static class TransientFaults
{
    private static readonly HashSet<string> Names = new(StringComparer.Ordinal)
    {
        "SiloUnavailableException",
        "ConnectionFailedException",
        "ConnectionAbortedException",
        "ConnectionResetException",
        "OrleansMessageRejectionException",
        "GatewayTooBusyException",
        "ClientNotAvailableException",
        "TimeoutException",
        "LocalApiTransientException",
    };

    /// <summary>True when <paramref name="ex"/> or one of its inner exceptions is a transport failure.</summary>
    public static bool IsTransient(Exception ex)
    {
        for (var e = ex; e is not null; e = e.InnerException)
        {
            if (e is FormationException)
            {
                return false;
            }

            // A plain IOException is a connection closed under us; its subclasses (file not found, ...) are not transport.
            if (e is SocketException || e.GetType() == typeof(IOException) || Names.Contains(e.GetType().Name))
            {
                return true;
            }
        }

        return false;
    }
}
