namespace Formation.Silo.HttpApi;

/// <summary>The HTTP API's listening port and limits (section "Formation"; <c>--http-port</c>, 0 turns it off).</summary>
public sealed record HttpApiOptions(int Port)
{
    /// <summary>Largest request body accepted (a create is a few hundred bytes).</summary>
    public long MaxRequestBodyBytes { get; init; } = 64 * 1024;

    /// <summary>Requests one client address may have in progress at once; more wait in a short queue, then get 429.</summary>
    public int ConcurrencyPerClient { get; init; } = 8;

    public int QueuePerClient { get; init; } = 32;
}
