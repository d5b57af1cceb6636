using Formation.Grains.Common;

namespace Formation.Grains.Tests.Common;

public sealed class CoalescingWriterTests
{
    [Fact]
    public async Task FlushAsync_CallsDuringAWrite_ShareTheNextWrite()
    {
        var writes = 0;
        var gate = new TaskCompletionSource();
        var writer = new CoalescingWriter(async () =>
        {
            Interlocked.Increment(ref writes);
            await gate.Task;
        });

        var first = writer.FlushAsync();
        var second = writer.FlushAsync();
        var third = writer.FlushAsync();
        Assert.Equal(1, writes);
        gate.SetResult();
        await Task.WhenAll(first, second, third);

        Assert.Equal(2, writes);
    }

    [Fact]
    public async Task FlushAsync_FailedWrite_FaultsItsCallersOnly()
    {
        var calls = 0;
        var writer = new CoalescingWriter(() => ++calls == 1 ? Task.FromException(new IOException("disk full")) : Task.CompletedTask);

        await Assert.ThrowsAsync<IOException>(() => writer.FlushAsync());
        await writer.FlushAsync();
        Assert.Equal(2, calls);
    }
}
