using Formation.Display;
using Formation.Images;

namespace Formation.Cli.Context;

/// <summary>
/// Runs one build on a node: opens a session, streams the packed context in chunks, starts the build and follows
/// its progress until it ends. Ctrl-C (or SIGTERM) cancels the session and returns its Cancelled state; a failure
/// while sending cancels it too, so nothing stays registered and the image is free to build again at once.
/// </summary>
public sealed class RemoteBuild(IClusterClient client, string nodeId, TextWriter progress)
{
    private static readonly TimeSpan PollWait = TimeSpan.FromSeconds(10);

    public BuildProgressWriter Writer { get; } = new(progress);

    public async Task<ImageBuildUpdate> RunAsync(LocalFormfile input, string reference, CancellationToken cancellationToken)
    {
        using var interrupt = new Interrupt(cancellationToken);
        var session = new ImageBuildSession(client, nodeId);
        var opened = await session.OpenAsync(new ImageBuildRequest(input.Text, input.Path, reference));
        progress.WriteLine($"Building {opened.Reference} on node {nodeId}");
        try
        {
            ContextSummary? summary = null;
            var (update, length, chunks) = await session.UploadAndStartAsync(
                async (stream, ct) => summary = await ContextPacker.WriteTarAsync(input.ContextDirectory, input.Ignore, stream, ct), interrupt.Token);
            foreach (var skipped in summary!.Skipped)
            {
                progress.WriteLine($"note: left out of the context: {skipped}");
            }

            progress.WriteLine(
                $"Sent the build context: {summary.Files} file(s), {Units.Bytes(summary.FileBytes)} ({Units.Bytes(length)} archive in {chunks} chunk(s))");
            while (true)
            {
                foreach (var e in update.Events)
                {
                    Writer.Write(e);
                }

                await progress.FlushAsync(CancellationToken.None);
                if (update.IsFinished)
                {
                    return update;
                }

                update = await session.Grain.WatchAsync(update.NextIndex, PollWait).WaitAsync(interrupt.Token);
            }
        }
        catch (OperationCanceledException) when (interrupt.Requested)
        {
            progress.WriteLine("Cancelling the build...");
            return await session.Grain.CancelAsync().WaitAsync(TimeSpan.FromSeconds(30), CancellationToken.None);
        }
        catch (Exception)
        {
            await session.CancelQuietlyAsync();
            throw;
        }
    }
}
