using System.Diagnostics;
using Formation.Images;
using Formation.Silo.Pack;

namespace Formation.Silo.Tests.Pack;

/// <summary>A cancelled or timed-out step stops its processes and leaves nothing behind.</summary>
public class BuildInterruptionTests : IDisposable
{
    // A unique sleep length identifies the step's process among everything else running on the machine.
    private static readonly int SleepSeconds = Random.Shared.Next(100_000, 999_999);

    private static string SleepyFormfile => $"NAME sleepy\nFROM tiny\nRUN echo started; sleep {SleepSeconds}\n";

    private readonly TestDirectory _data = new("pack-interrupt");

    [Fact]
    public async Task BuildAsync_Cancelled_KillsTheStepAndRegistersNothing()
    {
        TestEnvironment.RequireBuilder();
        var options = new PackOptions { DataDirectory = _data.Path };
        var store = new ImageStore(options);
        var progress = new RecordingProgress();
        using var cancel = new CancellationTokenSource();
        var build = new ImageBuilder(options, store).BuildAsync(new BuildRequest(SleepyFormfile), progress, cancel.Token);
        while (!progress.Events.Any(e => e.Message == "started") && !build.IsCompleted)
        {
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }

        cancel.Cancel();
        var watch = Stopwatch.StartNew();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => build);

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), $"cancellation took {watch.Elapsed}");
        Assert.Empty(await store.ListAsync(TestContext.Current.CancellationToken));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(_data.Path, "pack", "tmp")));
        await Task.Delay(500, TestContext.Current.CancellationToken);
        Assert.DoesNotContain(Directory.EnumerateDirectories("/proc").Select(d => Path.GetFileName(d)).Where(n => n.All(char.IsAsciiDigit)),
            pid => ReadCmdline(int.Parse(pid, System.Globalization.CultureInfo.InvariantCulture)).Trim() == $"sleep {SleepSeconds}");
    }

    [Fact]
    public async Task BuildAsync_StepTimeout_FailsTheStepWithAClearMessage()
    {
        TestEnvironment.RequireBuilder();
        var options = new PackOptions { DataDirectory = _data.Path, StepTimeout = TimeSpan.FromSeconds(2) };
        var store = new ImageStore(options);

        var ex = await Assert.ThrowsAsync<ImageBuildException>(() =>
            new ImageBuilder(options, store).BuildAsync(new BuildRequest(SleepyFormfile), null, TestContext.Current.CancellationToken));

        Assert.Equal(2, ex.Failure.Step);
        Assert.Contains("ran longer than", ex.Failure.Message);
        Assert.Contains("started", ex.Failure.OutputTail);
        Assert.Empty(await store.ListAsync(TestContext.Current.CancellationToken));
    }

    private static string ReadCmdline(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ');
        }
        catch (IOException)
        {
            return "";
        }
    }

    public void Dispose() => _data.Dispose();
}
