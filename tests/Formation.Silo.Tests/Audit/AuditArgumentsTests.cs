using Formation.Audit;
using Formation.Silo.Audit;
using Formation.Vms;

namespace Formation.Silo.Tests.Audit;

/// <summary>The argument summary of an audit row: enough to tell requests apart, never a payload or a secret.</summary>
public sealed class AuditArgumentsTests
{
    private interface ISample
    {
        Task JoinAsync(string name, string publicKey);

        Task LoginAsync(string account, string password, string joinToken);

        Task WriteAsync(byte[] data);

        Task CreateAsync(VmSpec spec);

        Task OtherAsync(Formation.Nodes.NodeCapacity info, int count, TimeSpan ttl, string? missing);
    }

    private static string Summary(string method, params object?[] args) => AuditArguments.Summarize(typeof(ISample).GetMethod(method)!, args);

    [Fact]
    public void Summarize_SecretNamedParameters_AreMaskedButPublicKeysShown()
    {
        Assert.Equal("name=laptop publicKey=abc", Summary(nameof(ISample.JoinAsync), "laptop", "abc"));
        Assert.Equal("account=alice password=*** joinToken=***", Summary(nameof(ISample.LoginAsync), "alice", "hunter2", "tok-123"));
    }

    [Fact]
    public void Summarize_Bytes_AreOnlyTheirLength()
    {
        Assert.Equal("data=<9 bytes>", Summary(nameof(ISample.WriteAsync), "password\n"u8.ToArray()));
    }

    [Fact]
    public void Summarize_VmSpec_ShowsNameImageAndSize()
    {
        var spec = new VmSpec("web", 2, 512, 4, "busybox:1", null);

        Assert.Equal("spec={web image=busybox:1 vcpu=2 mem=512MiB disk=4GiB}", Summary(nameof(ISample.CreateAsync), spec));
    }

    [Fact]
    public void Summarize_UnknownRecords_ShowOnlyTheirType_NullsAreLeftOut()
    {
        var summary = Summary(nameof(ISample.OtherAsync), new Formation.Nodes.NodeCapacity(1, 256, 1), 3,
            TimeSpan.FromMinutes(90), null);

        Assert.Equal("info=<NodeCapacity> count=3 ttl=01:30:00", summary);
    }

    [Fact]
    public void Summarize_LongOrOddStrings_AreCutAndQuoted()
    {
        var summary = Summary(nameof(ISample.JoinAsync), new string('x', 200), "a \"b\"\nc");

        Assert.Contains("…", summary);
        Assert.EndsWith("publicKey=\"a \\\"b\\\"\\nc\"", summary);
        Assert.True(summary.Length <= AuditArguments.MaxLength);
    }

    [Fact]
    public void Actions_AreNamedWithoutDecorations_AndOnlyLoudMutatingOnesRecorded()
    {
        Assert.Equal("VmCatalog.CreateVm", AuditActions.Of(typeof(IVmCatalogGrain).GetMethod(nameof(IVmCatalogGrain.CreateVmAsync))!));
        Assert.Equal("Vm.Delete", AuditActions.Of(typeof(IVmGrain).GetMethod(nameof(IVmGrain.DeleteAsync))!));
        Assert.Null(AuditActions.Of(typeof(IVmGrain).GetMethod(nameof(IVmGrain.GetAsync))!));
        Assert.Null(AuditActions.Of(typeof(IVmConsoleGrain).GetMethod(nameof(IVmConsoleGrain.WriteAsync))!));
        Assert.Null(AuditActions.Of(typeof(IAuditGrain).GetMethod(nameof(IAuditGrain.ReadAsync))!));
    }
}
