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
        var session = client.GetGrain<IImageBuildGrain>(ImageKeys.NewBuildSession(nodeId));
        var opened = await session.OpenAsync(new ImageBuildRequest(input.Text, input.Path, reference));
        progress.WriteLine($"Building {opened.Reference} on node {nodeId}");
        try
        {
            var (length, sha256) = await SendContextAsync(session, input, interrupt.Token);
            var update = await session.StartAsync(length, sha256);
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

                update = await session.WatchAsync(update.NextIndex, PollWait).WaitAsync(interrupt.Token);
            }
        }
        catch (OperationCanceledException) when (interrupt.Requested)
        {
            progress.WriteLine("Cancelling the build...");
            return await session.CancelAsync().WaitAsync(TimeSpan.FromSeconds(30), CancellationToken.None);
        }
        catch (Exception)
        {
            await CancelQuietlyAsync(session);
            throw;
        }
    }

    private async Task<(long Length, string Sha256)> SendContextAsync(IImageBuildGrain session, LocalFormfile input, CancellationToken cancellationToken)
    {
        await using var upload = new ChunkedUploadStream((offset, chunk) => session.UploadAsync(offset, chunk), IImageBuildGrain.MaxChunkBytes);
        var summary = await ContextPacker.WriteTarAsync(input.ContextDirectory, input.Ignore, upload, cancellationToken);
        await upload.CompleteAsync();
        foreach (var skipped in summary.Skipped)
        {
            progress.WriteLine($"note: left out of the context: {skipped}");
        }

        progress.WriteLine(
            $"Sent the build context: {summary.Files} file(s), {Bytes(summary.FileBytes)} ({Bytes(upload.Length)} archive in {upload.Chunks} chunk(s))");
        return (upload.Length, upload.Sha256);
    }

    private static async Task CancelQuietlyAsync(IImageBuildGrain session)
    {
        try
        {
            await session.CancelAsync().WaitAsync(TimeSpan.FromSeconds(30));
        }
        catch (Exception)
        {
            // Best effort: an abandoned upload is discarded by the node after its idle timeout anyway.
        }
    }

    /// <summary>Bytes as B, KiB, MiB or GiB.</summary>
    public static string Bytes(long bytes) => bytes switch
    {
        < 1024 => $"{bytes} B",
        < 1 << 20 => $"{bytes / 1024.0:0.#} KiB",
        < 1 << 30 => $"{bytes / (double)(1 << 20):0.#} MiB",
        _ => $"{bytes / (double)(1 << 30):0.##} GiB",
    };
}
