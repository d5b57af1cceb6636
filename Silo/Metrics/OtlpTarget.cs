using OpenTelemetry.Exporter;

namespace Formation.Silo.Metrics;

/// <summary>
/// Where the OTLP exporter sends metrics (<c>--otlp-endpoint</c>): an http or https URL and the protocol. For OTLP/HTTP
/// a URL without a path is the collector's base address, as in <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>, and gets the signal
/// path <c>/v1/metrics</c>; a URL with a path is used as it is. For gRPC the URL is used as it is.
/// </summary>
public sealed record OtlpTarget(Uri Endpoint, OtlpExportProtocol Protocol)
{
    /// <summary>The OTLP/HTTP path of metrics.</summary>
    public const string MetricsPath = "/v1/metrics";

    /// <summary>The protocol names <see cref="MetricsOptions.OtlpProtocol"/> accepts (those of <c>OTEL_EXPORTER_OTLP_PROTOCOL</c>).</summary>
    public static readonly IReadOnlyList<string> Protocols = ["http/protobuf", "grpc"];

    public override string ToString() => $"{Endpoint} (OTLP {(Protocol == OtlpExportProtocol.Grpc ? "gRPC" : "HTTP/protobuf")})";

    /// <summary>The target of <paramref name="url"/> and <paramref name="protocol"/>, or null with what is wrong and what to do.</summary>
    public static OtlpTarget? Parse(string url, string protocol, out string? error)
    {
        error = null;
        var kind = protocol.Trim().ToLowerInvariant() switch
        {
            "http/protobuf" or "http" => OtlpExportProtocol.HttpProtobuf,
            "grpc" => OtlpExportProtocol.Grpc,
            _ => (OtlpExportProtocol?)null,
        };
        if (kind is null)
        {
            error = $"OTLP protocol '{protocol}' is not known: use {string.Join(" or ", Protocols)} (Formation:Metrics:OtlpProtocol).";
            return null;
        }

        if (!Uri.TryCreate(url.Trim(), UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.Host.Length == 0)
        {
            error = $"--otlp-endpoint '{url}' is not an http:// or https:// URL: give the collector's address, e.g. http://127.0.0.1:4318 (OTLP/HTTP) or http://127.0.0.1:4317 with Formation:Metrics:OtlpProtocol=grpc.";
            return null;
        }

        if (uri.Query.Length > 0 || uri.Fragment.Length > 0)
        {
            error = $"--otlp-endpoint '{url}' has a query or fragment: give only scheme, host, port and (optionally) path.";
            return null;
        }

        if (kind == OtlpExportProtocol.HttpProtobuf && uri.AbsolutePath is "" or "/")
        {
            uri = new Uri(uri, MetricsPath);
        }

        return new OtlpTarget(uri, kind.Value);
    }
}
