using Formation.Errors;
using Formation.Images;

namespace Formation.Dashboard.Cluster;

/// <summary>Turns a failure from the fabric into one sentence for the page: what went wrong and what to do. Never a stack trace.</summary>
public static class FabricErrors
{
    public static string Describe(Exception ex) => ex switch
    {
        FormationException e => e.Message,
        ImageBuildException e => e.Failure.ToString(),
        ClusterUnavailableException e => e.Message,
        AggregateException { InnerExceptions.Count: 1 } e => Describe(e.InnerExceptions[0]),
        TimeoutException => "The cluster did not answer in time. The dashboard keeps trying; check `form cluster status` and the silo logs.",
        OperationCanceledException => "Cancelled.",
        SiloUnavailableException or OrleansMessageRejectionException or Orleans.Runtime.Messaging.ConnectionFailedException =>
            "No silo answered: the node that holds this may be down. The dashboard keeps trying; check `form cluster status` and the silo logs.",
        OrleansException e => $"The cluster refused the request: {FirstLine(e.Message)}",
        _ => $"Something failed in the dashboard: {FirstLine(ex.Message)} (see the dashboard's log for details).",
    };

    private static string FirstLine(string message)
    {
        var newline = message.IndexOf('\n');
        return (newline < 0 ? message : message[..newline]).Trim();
    }
}
