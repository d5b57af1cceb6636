namespace Formation.Silo.HttpApi;

/// <summary>
/// The HTTP API's port and limits (section "Formation:HttpApi"; <c>--http-port</c> maps onto <see cref="Port"/>, the
/// limits onto <c>Formation__HttpApi__ConcurrencyPerClient</c> and so on).
/// </summary>
public sealed class HttpApiOptions
{
    public const string Section = "Formation:HttpApi";

    /// <summary>Loopback port of the HTTP API (default 30080; 0: no HTTP API).</summary>
    public int Port { get; set; } = 30080;

    /// <summary>Largest request body accepted (a create is a few hundred bytes); larger ones get 413.</summary>
    public long MaxRequestBodyBytes { get; set; } = 64 * 1024;

    /// <summary>Largest build context (<c>POST /v1/builds</c>), the one request that carries files.</summary>
    public long MaxBuildContextBytes { get; set; } = 256L * 1024 * 1024;

    /// <summary>
    /// Requests one client address may have in progress at once (an open event stream counts as one); more wait in a
    /// queue of <see cref="QueuePerClient"/>, and beyond that get 429.
    /// </summary>
    public int ConcurrencyPerClient { get; set; } = 8;

    public int QueuePerClient { get; set; } = 32;

    public bool Enabled => Port != 0;

    /// <summary>This silo's gateway (<c>address:port</c>), set by the silo: builds prefer its node, so no context crosses the network.</summary>
    public string? LocalGateway { get; set; }

    /// <summary>Every problem with these values, each saying what to set.</summary>
    public void Validate(List<string> problems)
    {
        if (Port is < 0 or > 65535)
        {
            problems.Add($"HTTP API port {Port} is out of range 1–65535 (or 0 for no HTTP API): set --http-port.");
        }

        if (MaxRequestBodyBytes < 1024)
        {
            problems.Add($"HttpApi:MaxRequestBodyBytes must be at least 1024 (got {MaxRequestBodyBytes}).");
        }

        if (MaxBuildContextBytes < MaxRequestBodyBytes)
        {
            problems.Add($"HttpApi:MaxBuildContextBytes must be at least HttpApi:MaxRequestBodyBytes (got {MaxBuildContextBytes}).");
        }

        if (ConcurrencyPerClient < 1)
        {
            problems.Add($"HttpApi:ConcurrencyPerClient must be at least 1 (got {ConcurrencyPerClient}).");
        }

        if (QueuePerClient < 0)
        {
            problems.Add($"HttpApi:QueuePerClient must be 0 or more (got {QueuePerClient}).");
        }
    }
}
