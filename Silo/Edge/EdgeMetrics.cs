using System.Diagnostics;
using System.Diagnostics.Metrics;
using Formation.Grains.Metrics;

namespace Formation.Silo.Edge;

/// <summary>
/// The edge proxy's instruments on the fabric meter. HTTP: the duration of each request by route (the route's host, or
/// <c>none</c> when no route matched: a client's Host header never becomes a label), method and status code — its count
/// is the request count — and the requests the edge failed by <c>error.type</c>. TCP: connections by listen port and
/// outcome, those open now, and the bytes carried each way (<c>receive</c>: from clients, <c>transmit</c>: to them).
/// </summary>
public sealed class EdgeMetrics
{
    /// <summary>The route label of a request no route matched.</summary>
    public const string NoRoute = "none";

    private static readonly HashSet<string> KnownMethods = new(StringComparer.Ordinal)
    {
        "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH",
    };

    private readonly Histogram<double> _duration;
    private readonly Counter<long> _errors;
    private readonly Counter<long> _connections;
    private readonly UpDownCounter<long> _open;
    private readonly Counter<long> _bytes;

    public EdgeMetrics(IMeterFactory meters)
    {
        var meter = FabricMeter.Create(meters);
        _duration = FabricMeter.Seconds(meter, "formation.edge.request.duration",
            "HTTP requests through the edge proxy, from arrival to the end of the answer", FabricMeter.FastSeconds);
        _errors = meter.CreateCounter<long>("formation.edge.request.errors", "{request}",
            "HTTP requests the edge could not forward (no route, no serving replica, or the replica failed)");
        _connections = meter.CreateCounter<long>("formation.edge.tcp.connections", "{connection}", "TCP connections accepted by the edge, by outcome");
        _open = meter.CreateUpDownCounter<long>("formation.edge.tcp.active_connections", "{connection}", "TCP connections the edge is carrying now");
        _bytes = meter.CreateCounter<long>("formation.edge.tcp.io", "By", "Bytes the edge's TCP routes carried, by direction");
    }

    /// <summary>Records one HTTP request that started at <paramref name="started"/> (a <see cref="Stopwatch"/> timestamp).</summary>
    public void Request(string route, string method, int status, long started, string? error)
    {
        var tags = new TagList
        {
            { "formation.edge.route", route },
            { "http.request.method", KnownMethods.Contains(method) ? method : "_OTHER" },
            { "http.response.status_code", status },
        };
        _duration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, tags);
        if (error is not null)
        {
            _errors.Add(1, new TagList { { "formation.edge.route", route }, { "error.type", error } });
        }
    }

    /// <summary>A TCP connection accepted on <paramref name="port"/> and what became of it (<c>forwarded</c>, <c>no_replica</c>, <c>over_cap</c>).</summary>
    public void Connection(int port, string outcome) =>
        _connections.Add(1, new TagList { { "formation.edge.port", port }, { "formation.edge.outcome", outcome } });

    /// <summary>A connection on <paramref name="port"/> opens (+1) or ends (-1).</summary>
    public void Open(int port, int delta) => _open.Add(delta, new KeyValuePair<string, object?>("formation.edge.port", port));

    /// <summary>Bytes copied on <paramref name="port"/>: <paramref name="fromClient"/> is the receive direction.</summary>
    public void Bytes(int port, bool fromClient, long count) =>
        _bytes.Add(count, new KeyValuePair<string, object?>("formation.edge.port", port),
            new KeyValuePair<string, object?>("network.io.direction", fromClient ? "receive" : "transmit"));
}
