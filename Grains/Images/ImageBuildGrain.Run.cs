using System.Threading.Channels;
using Formation.Events;
using Formation.Images;

namespace Formation.Grains.Images;

/// <summary>The background part of a session: the host builds, this loop (on the grain's scheduler) collects the events.</summary>
public sealed partial class ImageBuildGrain
{
    private static readonly TimeSpan[] RecordRetries = [TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(3)];

    private async Task RunAsync(ImageBuildJob job, CancellationToken cancellationToken)
    {
        var channel = Channel.CreateUnbounded<BuildProgress>(new UnboundedChannelOptions { SingleReader = true });
        var build = host.BuildAsync(job, new ChannelProgress(channel.Writer), cancellationToken);
        _ = build.ContinueWith(_ => channel.Writer.TryComplete(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        var batch = new List<BuildProgress>();
        while (await channel.Reader.WaitToReadAsync(CancellationToken.None))
        {
            batch.Clear();
            while (channel.Reader.TryRead(out var progress))
            {
                batch.Add(progress);
            }

            await AppendAsync(batch);
        }

        var record = GrainFactory.GetGrain<IImageRecordGrain>(job.Reference);
        ImageBuildPhase outcome;
        ImageManifest? manifest = null;
        string? error = null;
        try
        {
            manifest = await build;
            outcome = ImageBuildPhase.Succeeded;
            LogSucceeded(Session, job.Reference, manifest.Digest);
        }
        catch (ImageBuildException ex)
        {
            _failure = ex.Failure;
            outcome = ImageBuildPhase.Failed;
            error = Summary(ex.Failure);
        }
        catch (OperationCanceledException)
        {
            outcome = ImageBuildPhase.Cancelled;
            await AppendAsync([new BuildProgress(BuildProgressKind.Failed, 0, 0, "build", "cancelled; nothing was registered", TimeSpan.Zero)]);
        }
        catch (Exception ex)
        {
            _failure = new BuildFailure(0, 0, "build", 0, null, [], $"{ex.GetType().Name}: {ex.Message}");
            outcome = ImageBuildPhase.Failed;
            await AppendAsync([new BuildProgress(BuildProgressKind.Failed, 0, 0, "build", _failure.Message, TimeSpan.Zero)]);
            error = _failure.Message;
        }
        finally
        {
            _upload?.Dispose();
            _upload = null;
        }

        // The image record learns the outcome before any watcher does: whoever sees this build end then finds the image
        // as it now is (Ready with its digest in the catalog, or Failed), never the state from before the build.
        if (manifest is not null)
        {
            _manifest = manifest;
            await RecordAsync(() => record.CompleteBuildAsync(Session, NodeId, manifest));
        }
        else
        {
            LogFailed(Session, job.Reference, error ?? "cancelled");
            await RecordAsync(() => record.FailBuildAsync(Session, error));
        }

        _phase = outcome;
        Signal();
        DelayDeactivation(_options.ResultRetention);
    }

    /// <summary>Tells the image grain, retrying a few times; if it still fails the image grain settles it later by asking this session.</summary>
    private async Task RecordAsync(Func<Task> call)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await call();
                return;
            }
            catch (Exception ex) when (attempt < RecordRetries.Length)
            {
                LogRecordFailed(ex, Session, _reference!);
                await Task.Delay(RecordRetries[attempt], clock);
            }
            catch (Exception ex)
            {
                LogRecordFailed(ex, Session, _reference!);
                return;
            }
        }
    }

    private async Task AppendAsync(IReadOnlyList<BuildProgress> batch)
    {
        var first = NextIndex;
        _events.AddRange(batch);
        if (_events.Count > _options.MaxRetainedEvents)
        {
            var drop = _events.Count - _options.MaxRetainedEvents + _options.MaxRetainedEvents / 5;
            _events.RemoveRange(0, drop);
            _firstIndex += drop;
        }

        Signal();
        try
        {
            var provider = this.GetStreamProvider(EventStreams.Provider);
            var session = provider.GetStream<ImageBuildEvent>(EventStreams.ForBuild(Session));
            var all = provider.GetStream<ImageBuildEvent>(EventStreams.ForAllBuilds());
            for (var i = 0; i < batch.Count; i++)
            {
                var item = new ImageBuildEvent(Session, NodeId, _reference!, first + i, batch[i]);
                await session.OnNextAsync(item);
                await all.OnNextAsync(item);
            }
        }
        catch (Exception ex)
        {
            LogPublishFailed(ex, Session);
        }
    }

    private void Signal()
    {
        var changed = _changed;
        _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        changed.TrySetResult();
    }

    private static string Summary(BuildFailure failure)
    {
        var line = failure.Line > 0 ? $" (Formfile line {failure.Line})" : "";
        var code = failure.ExitCode is { } c ? $", exit code {c}" : "";
        return $"step {failure.Step}/{failure.StepCount} '{failure.Description}'{line} failed{code}: {failure.Message}";
    }

    /// <summary>Hands events from the builder's threads to the session loop without blocking the builder.</summary>
    private sealed class ChannelProgress(ChannelWriter<BuildProgress> writer) : IProgress<BuildProgress>
    {
        public void Report(BuildProgress value) => writer.TryWrite(value);
    }
}
