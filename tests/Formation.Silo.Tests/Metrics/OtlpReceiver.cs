using System.Collections.Concurrent;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Formation.Silo.Tests.Metrics;

/// <summary>
/// A real OTLP/HTTP receiver on loopback (Kestrel): accepts <c>POST /v1/metrics</c> with an
/// <c>application/x-protobuf</c> body, as a collector does, and decodes enough of each
/// <c>ExportMetricsServiceRequest</c> (opentelemetry-proto, metrics/v1 and common/v1) to list its resource's
/// attributes and every metric's scope and name. Anything else is refused, so a misdirected exporter shows as nothing received.
/// </summary>
public sealed class OtlpReceiver : IAsyncDisposable
{
    private readonly ConcurrentQueue<OtlpMetric> _metrics = new();
    private readonly ConcurrentDictionary<string, string> _resource = new(StringComparer.Ordinal);
    private WebApplication? _app;

    public int Port { get; } = FreePorts.Next();

    /// <summary>The base address, as a user gives it to <c>--otlp-endpoint</c>.</summary>
    public string BaseUrl => $"http://127.0.0.1:{Port}";

    public int Requests { get; private set; }

    /// <summary>Every metric received so far (one entry per metric per export).</summary>
    public IReadOnlyList<OtlpMetric> Metrics => [.. _metrics];

    /// <summary>Resource attributes of the exports, e.g. <c>service.name</c>.</summary>
    public IReadOnlyDictionary<string, string> Resource => _resource;

    public async Task StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, Port));
        _app = builder.Build();
        _app.MapPost("/v1/metrics", async (HttpContext context) =>
        {
            if (context.Request.ContentType != "application/x-protobuf")
            {
                return Results.StatusCode(StatusCodes.Status415UnsupportedMediaType);
            }

            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body);
            Decode(body.ToArray());
            Requests++;
            return Results.Bytes([], "application/x-protobuf"); // an empty ExportMetricsServiceResponse: all accepted
        });
        await _app.StartAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }

    /// <summary>ExportMetricsServiceRequest: 1 = ResourceMetrics (1 = Resource, 2 = ScopeMetrics (1 = scope, 2 = Metric (1 = name))).</summary>
    private void Decode(byte[] request)
    {
        foreach (var resourceMetrics in Protobuf.Fields(request, 1))
        {
            foreach (var resource in Protobuf.Fields(resourceMetrics, 1))
            {
                foreach (var attribute in Protobuf.Fields(resource, 1))
                {
                    var key = Protobuf.String(attribute, 1);
                    var value = Protobuf.Fields(attribute, 2).Select(v => Protobuf.String(v, 1)).FirstOrDefault();
                    if (key is not null && value is not null)
                    {
                        _resource[key] = value;
                    }
                }
            }

            foreach (var scopeMetrics in Protobuf.Fields(resourceMetrics, 2))
            {
                var scope = Protobuf.Fields(scopeMetrics, 1).Select(s => Protobuf.String(s, 1)).FirstOrDefault() ?? "";
                foreach (var metric in Protobuf.Fields(scopeMetrics, 2))
                {
                    _metrics.Enqueue(new OtlpMetric(scope, Protobuf.String(metric, 1) ?? throw new InvalidDataException("a metric without a name")));
                }
            }
        }
    }

    /// <summary>The protobuf wire format (encoding spec): varint keys, and the length-delimited fields this receiver needs.</summary>
    private static class Protobuf
    {
        /// <summary>The bodies of every length-delimited field <paramref name="number"/> of <paramref name="message"/>.</summary>
        public static IEnumerable<byte[]> Fields(byte[] message, int number)
        {
            var at = 0;
            while (at < message.Length)
            {
                var key = Varint(message, ref at);
                var wireType = (int)(key & 7);
                switch (wireType)
                {
                    case 0:
                        Varint(message, ref at);
                        break;
                    case 1:
                        at += 8;
                        break;
                    case 5:
                        at += 4;
                        break;
                    case 2:
                        var length = (int)Varint(message, ref at);
                        if (length < 0 || at + length > message.Length)
                        {
                            throw new InvalidDataException($"a field of {length} bytes runs past the message's end");
                        }

                        if ((int)(key >> 3) == number)
                        {
                            yield return message[at..(at + length)];
                        }

                        at += length;
                        break;
                    default:
                        throw new InvalidDataException($"wire type {wireType} is not one OTLP uses");
                }
            }

            if (at != message.Length)
            {
                throw new InvalidDataException("the last field runs past the message's end");
            }
        }

        public static string? String(byte[] message, int number) =>
            Fields(message, number).Select(b => Encoding.UTF8.GetString(b)).FirstOrDefault();

        private static ulong Varint(byte[] data, ref int at)
        {
            ulong value = 0;
            for (var shift = 0; shift < 64; shift += 7)
            {
                if (at >= data.Length)
                {
                    throw new InvalidDataException("a varint runs past the message's end");
                }

                var b = data[at++];
                value |= (ulong)(b & 0x7f) << shift;
                if ((b & 0x80) == 0)
                {
                    return value;
                }
            }

            throw new InvalidDataException("a varint longer than 10 bytes");
        }
    }
}

/// <summary>A metric as an OTLP export carried it: its instrumentation scope (the meter) and name.</summary>
public sealed record OtlpMetric(string Scope, string Name);
