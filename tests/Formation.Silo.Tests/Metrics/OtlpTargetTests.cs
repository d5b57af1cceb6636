using Formation.Silo.Hosting;
using Formation.Silo.Metrics;
using OpenTelemetry.Exporter;

namespace Formation.Silo.Tests.Metrics;

/// <summary>The OTLP exporter's target as the silo validates it: off by default, the signal path added, bad URLs refused.</summary>
public sealed class OtlpTargetTests : IDisposable
{
    private readonly TestDirectory _data = new();

    public void Dispose() => _data.Dispose();

    [Theory]
    [InlineData("http://127.0.0.1:4318", "http/protobuf", "http://127.0.0.1:4318/v1/metrics", OtlpExportProtocol.HttpProtobuf)]
    [InlineData("https://otel.example:4318/", "http/protobuf", "https://otel.example:4318/v1/metrics", OtlpExportProtocol.HttpProtobuf)]
    [InlineData("http://collector:9000/custom/path", "http/protobuf", "http://collector:9000/custom/path", OtlpExportProtocol.HttpProtobuf)]
    [InlineData("http://127.0.0.1:4317", "grpc", "http://127.0.0.1:4317/", OtlpExportProtocol.Grpc)]
    public void Parse_GoodUrl_GivesTheEndpointTheExporterUses(string url, string protocol, string endpoint, OtlpExportProtocol kind)
    {
        var target = OtlpTarget.Parse(url, protocol, out var error);

        Assert.Null(error);
        Assert.Equal((endpoint, kind), (target!.Endpoint.ToString(), target.Protocol));
    }

    [Theory]
    [InlineData("127.0.0.1:4318", "http/protobuf", "is not an http:// or https:// URL")]
    [InlineData("ftp://collector/", "http/protobuf", "is not an http:// or https:// URL")]
    [InlineData("not a url", "http/protobuf", "e.g. http://127.0.0.1:4318")]
    [InlineData("http://collector:4318/?x=1", "http/protobuf", "has a query or fragment")]
    [InlineData("http://collector:4318", "thrift", "OTLP protocol 'thrift' is not known")]
    public void Parse_BadValue_IsRefusedSayingWhatToGive(string url, string protocol, string expected)
    {
        Assert.Null(OtlpTarget.Parse(url, protocol, out var error));
        Assert.Contains(expected, error);
    }

    [Fact]
    public void SiloConfig_OffByDefault_OnWithTheFlag_ABadUrlIsAProblemAtStart()
    {
        var off = SiloConfig.Resolve(Options(""), out var none);
        var on = SiloConfig.Resolve(Options("http://127.0.0.1:4318"), out var fine);
        SiloConfig.Resolve(Options("localhost:4318"), out var problems);

        Assert.Empty(none);
        Assert.Null(off.Otlp);
        Assert.Empty(fine);
        Assert.Equal("http://127.0.0.1:4318/v1/metrics", on.Otlp!.Endpoint.ToString());
        Assert.Contains(problems, p => p.StartsWith("--otlp-endpoint 'localhost:4318' is not an http:// or https:// URL", StringComparison.Ordinal));
        Assert.True(SiloArguments.TryParse(["--otlp-endpoint", "http://c:4318"], out var values, out _, out var error), error);
        Assert.Equal("http://c:4318", values["Formation:Metrics:OtlpEndpoint"]);
    }

    private FormationOptions Options(string otlp) =>
        new() { DataDirectory = _data.Path, NodeId = "otlp", Metrics = new MetricsOptions { OtlpEndpoint = otlp } };
}
