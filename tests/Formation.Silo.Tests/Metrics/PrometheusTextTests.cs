namespace Formation.Silo.Tests.Metrics;

/// <summary>The strict exposition-format reader accepts what the specification allows and refuses the rest.</summary>
public sealed class PrometheusTextTests
{
    [Fact]
    public void Parse_EveryAllowedForm_ReadsFamiliesLabelsAndValues()
    {
        var text = """
            # A plain comment
            # HELP http_requests_total The total number of HTTP requests.\nSecond line with \\ backslash.
            # TYPE http_requests_total counter
            http_requests_total{method="post",code="200"} 1027 1395066363000
            http_requests_total{method="post",code="400",} 3 1395066363000

            # TYPE msdos_file_access_time_seconds gauge
            msdos_file_access_time_seconds{path="C:\\DIR\\FILE.TXT",error="Cannot find file:\n\"FILE.TXT\""} 1.458255915e9
            metric_without_timestamp_and_labels 12.47
            # TYPE rpc_duration_seconds summary
            rpc_duration_seconds{quantile="0.5"} 4773
            rpc_duration_seconds_sum 1.7560473e+07
            rpc_duration_seconds_count 2693
            # TYPE http_request_duration_seconds histogram
            http_request_duration_seconds_bucket{le="0.05"} 24054
            http_request_duration_seconds_bucket{le="+Inf"} 144320
            http_request_duration_seconds_sum 53423
            http_request_duration_seconds_count 144320
            something_weird{problem="division by zero"} +Inf -3982045
            not_a_number NaN

            """.Replace("\r", "");

        var families = PrometheusText.Parse(text);

        Assert.Equal("counter", families["http_requests_total"].Type);
        Assert.Equal("The total number of HTTP requests.\nSecond line with \\ backslash.", families["http_requests_total"].Help);
        Assert.Equal(2, families["http_requests_total"].Samples.Count);
        Assert.Equal(1395066363000, families["http_requests_total"].Samples[0].Timestamp);
        var msdos = families["msdos_file_access_time_seconds"].Samples.Single();
        Assert.Equal("C:\\DIR\\FILE.TXT", msdos.Labels["path"]);
        Assert.Equal("Cannot find file:\n\"FILE.TXT\"", msdos.Labels["error"]);
        Assert.Equal(1.458255915e9, msdos.Value);
        Assert.Equal("untyped", families["metric_without_timestamp_and_labels"].Type);
        Assert.Equal(3, families["rpc_duration_seconds"].Samples.Count);
        Assert.Equal(4, families["http_request_duration_seconds"].Samples.Count);
        Assert.Equal(double.PositiveInfinity, families["something_weird"].Samples[0].Value);
        Assert.True(double.IsNaN(families["not_a_number"].Samples[0].Value));
    }

    [Theory]
    [InlineData("a 1", "newline")]
    [InlineData("a 1\r\n", "carriage return")]
    [InlineData("1a 1\n", "metric name")]
    [InlineData("a{1b=\"x\"} 1\n", "label name")]
    [InlineData("a{__name__=\"x\"} 1\n", "reserved")]
    [InlineData("a{b=x} 1\n", "=\"value\"")]
    [InlineData("a{b=\"x} 1\n", "not closed")]
    [InlineData("a{b=\"\\t\"} 1\n", "escape")]
    [InlineData("a{b=\"x\" c=\"y\"} 1\n", "','")]
    [InlineData("a{b=\"x\",b=\"y\"} 1\n", "twice")]
    [InlineData("a\n", "no value")]
    [InlineData("a one\n", "not a sample value")]
    [InlineData("a 1 2 3\n", "at most a timestamp")]
    [InlineData("a 1 1.5\n", "timestamp")]
    [InlineData("# TYPE a countr\na 1\n", "TYPE 'countr'")]
    [InlineData("# TYPE a counter\n# TYPE a gauge\na 1\n", "second TYPE")]
    [InlineData("# HELP a x\n# HELP a y\na 1\n", "second HELP")]
    [InlineData("a 1\n# TYPE a gauge\n", "after its first sample")]
    [InlineData("a{x=\"1\"} 1\nb 2\na{x=\"2\"} 3\n", "one group")]
    [InlineData("a{x=\"1\"} 1\na{x=\"1\"} 2\n", "appears twice")]
    [InlineData("# HELP a bad \\t escape\na 1\n", "escape")]
    public void Parse_Violation_IsRefusedSayingWhat(string text, string expected)
    {
        var ex = Assert.Throws<FormatException>(() => PrometheusText.Parse(text));
        Assert.Contains(expected, ex.Message);
    }
}
