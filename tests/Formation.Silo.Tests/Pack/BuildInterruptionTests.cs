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
        await Eventually.TrueAsync(() => (progress.Events.Any(e => e.Message == "started") && StepIsRunning()) || build.IsCompleted,
            TimeSpan.FromMinutes(2), "the step to print 'started' and run its sleep");
        Assert.False(build.IsCompleted, "the build ended before its step was cancelled");

        cancel.Cancel();
        var watch = Stopwatch.StartNew();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => build);

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), $"cancellation took {watch.Elapsed}");
        Assert.Empty(await store.ListAsync(TestContext.Current.CancellationToken));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(_data.Path, "pack", "tmp")));

        // The kernel ends the step's PID namespace (its sleep included) after its init is killed, not synchronously.
        await Eventually.TrueAsync(() => !StepIsRunning(), TimeSpan.FromSeconds(10), "the step's sleep to be gone after the cancellation");
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

    /// <summary>True while a process of the step (the sleep with this test's unique length) is alive.</summary>
    private static bool StepIsRunning() =>
        Directory.EnumerateDirectories("/proc").Select(Path.GetFileName).Where(n => n!.All(char.IsAsciiDigit))
            .Any(pid => ReadCmdline(int.Parse(pid!, System.Globalization.CultureInfo.InvariantCulture)).Trim() == $"sleep {SleepSeconds}");

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
