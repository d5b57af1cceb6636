using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Formation.Errors;
using Formation.Formfiles;
using Formation.Images;
using Formation.Scheduling;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Formation.Silo.HttpApi;

public static partial class HttpApiEndpoints
{
    private static readonly TimeSpan BuildPollWait = TimeSpan.FromSeconds(10);

    /// <summary>
    /// <c>form pack build</c>: the body is a tar archive of the build context (gzip or not, whatever its Content-Type)
    /// holding the Formfile; the response is the build's progress as server-sent events — <c>started</c>
    /// (<see cref="BuildStarted"/>), one <c>progress</c> per step event (<see cref="BuildProgress"/>), and <c>end</c> (the
    /// final <see cref="ImageBuildUpdate"/>: phase, manifest or failure). A client that disconnects cancels the build, as
    /// Ctrl-C does for the CLI; nothing of a cancelled build is registered. Errors found before the build starts (bad
    /// Formfile, a build of that image already running, no such node) are ordinary JSON errors.
    /// </summary>
    private static void MapBuilds(RouteGroupBuilder v1, IClusterClient grains, HttpApiOptions options, CancellationToken stopping)
    {
        v1.MapPost("/builds", async (HttpContext http, string? reference, string? node, string? formfile, CancellationToken ct) =>
        {
            return await Run(async () =>
            {
                var canonical = reference is null ? null : ImageReference.Normalize(reference);
                var formfilePath = string.IsNullOrWhiteSpace(formfile) ? "Formfile" : formfile;
                var upload = await BuildContextUpload.ReadAsync(http.Request.Body, formfilePath, options.MaxBuildContextBytes, ct);
                ImageBuildSession? session = null;
                try
                {
                    var name = canonical ?? FormfileParser.Parse(upload.FormfileText, formfilePath).Formfile?.Name;
                    var placement = new BuildPlacementRequest(name is null ? null : ImageReference.TryNormalize(name, out _), node, options.LocalGateway);
                    var nodeId = await grains.GetGrain<ISchedulerGrain>(GrainKeys.Cluster).PlaceBuildAsync(placement);
                    session = new ImageBuildSession(grains, nodeId);
                    var opened = await session.OpenAsync(new ImageBuildRequest(upload.FormfileText, formfilePath, canonical));
                    var (started, length, _) = await session.UploadAndStartAsync(upload.CopyToAsync, ct);
                    await upload.DisposeAsync();
                    var first = new BuildStarted(session.Key, nodeId, opened.Reference, length);
                    var end = new BuildEnd(session);
                    return new EventStreamResult(FollowBuildAsync(session, first, started, end, CancellationToken.None), end, stopping);
                }
                catch
                {
                    await upload.DisposeAsync();
                    if (session is not null)
                    {
                        await session.CancelQuietlyAsync();
                    }

                    throw;
                }
            });
        }).WithMetadata(new RequestBodyLimit(options.MaxBuildContextBytes))
            .WithSummary("Build an image from a tar archive of its context (with the Formfile); progress as server-sent events")
            .Produces(StatusCodes.Status200OK, contentType: EventStreamResult.ContentType).ProducesError(400, 404, 409, 413);
    }

    private static async IAsyncEnumerable<SseItem<string>> FollowBuildAsync(ImageBuildSession session, BuildStarted first, ImageBuildUpdate update,
        BuildEnd end, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        yield return new SseItem<string>(JsonSerializer.Serialize(first, HttpApiJson.Default.BuildStarted), "started");
        while (true)
        {
            foreach (var e in update.Events)
            {
                yield return new SseItem<string>(JsonSerializer.Serialize(e, HttpApiJson.Default.BuildProgress), "progress");
            }

            if (update.IsFinished)
            {
                end.Finished = true;
                yield return new SseItem<string>(JsonSerializer.Serialize(update, HttpApiJson.Default.ImageBuildUpdate), "end");
                yield break;
            }

            update = await session.Grain.WatchAsync(update.NextIndex, BuildPollWait).WaitAsync(cancellationToken);
        }
    }

    /// <summary>Cancels the build when its stream ends before the build did (the client left, or the silo stops).</summary>
    private sealed class BuildEnd(ImageBuildSession session) : IAsyncDisposable
    {
        public bool Finished { get; set; }

        public async ValueTask DisposeAsync()
        {
            if (!Finished)
            {
                await session.CancelQuietlyAsync();
            }
        }
    }
}
