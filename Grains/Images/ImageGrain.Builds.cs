using Formation.Errors;
using Formation.Images;

namespace Formation.Grains.Images;

/// <summary>The build side: a build begins, completes or fails; a build whose session vanished is noticed.</summary>
public sealed partial class ImageGrain
{
    public async Task BeginBuildAsync(string session)
    {
        RequireRecord();
        if (S.BuildSession is { } running && running != session)
        {
            await CheckBuildAsync();
            if (S.BuildSession is { } still && still != session)
            {
                throw FormationException.Conflict(
                    $"Image '{Written}' is already being built on node {GrainKeys.NodeOf(still)} (session {still}). " +
                    "Wait for that build to finish (or cancel it), then build again.");
            }
        }

        var now = clock.GetUtcNow();
        S.BuildSession = session;
        S.Status = S.Status is { State: ImageBuildState.Ready } ready
            ? ready with { UpdatedAt = now }
            : new ImageStatus(Reference, ImageBuildState.Building, null, 0, [], null, now);
        await SaveAsync();
        LogBuildBegun(Written, session);
    }

    public async Task CompleteBuildAsync(string session, string nodeId, ImageManifest manifest)
    {
        RequireRecord();
        var nodes = new SortedSet<string>(StringComparer.Ordinal) { nodeId };
        if (S.Manifest?.Digest == manifest.Digest && S.Status is { } current)
        {
            nodes.UnionWith(current.Nodes);
        }
        else if (S.Manifest is { } old && S.Status is { } previous)
        {
            foreach (var node in previous.Nodes)
            {
                if (!S.Retired.Contains(new RetiredImage(node, old.Digest)))
                {
                    S.Retired.Add(new RetiredImage(node, old.Digest));
                }
            }
        }

        S.Retired.RemoveAll(r => r.Digest == manifest.Digest && nodes.Contains(r.NodeId));
        if (S.BuildSession == session)
        {
            S.BuildSession = null;
        }

        S.Manifest = manifest;
        S.Status = new ImageStatus(Reference, ImageBuildState.Ready, manifest.Digest, manifest.RootFilesystem.SizeBytes, [.. nodes], null, clock.GetUtcNow());
        await SaveAsync();
        LogBuilt(Written, manifest.Digest, nodeId);
    }

    public async Task FailBuildAsync(string session, string? error)
    {
        RequireRecord();
        if (S.BuildSession != session)
        {
            return; // a report from a build that is no longer this image's (another one took over)
        }

        S.BuildSession = null;
        if (S.Manifest is null)
        {
            if (error is null)
            {
                await ForgetAsync(); // cancelled before any version existed: nothing stays registered
                LogBuildCancelled(Written, session);
                return;
            }

            S.Status = new ImageStatus(Reference, ImageBuildState.Failed, null, 0, [], error, clock.GetUtcNow());
        }
        else
        {
            S.Status = S.Status! with { UpdatedAt = clock.GetUtcNow() };
        }

        await SaveAsync();
        LogBuildFailed(Written, session, error ?? "cancelled");
    }

    /// <summary>
    /// If a build is recorded as running, asks its session; a session that finished without telling us, or that is
    /// gone (its node restarted or left), is settled here so the image never stays Building forever.
    /// </summary>
    private async Task CheckBuildAsync()
    {
        if (S.BuildSession is not { } session)
        {
            return;
        }

        ImageBuildUpdate update;
        try
        {
            update = await GrainFactory.GetGrain<IImageBuildGrain>(session).WatchAsync(int.MaxValue, TimeSpan.Zero);
        }
        catch (FormationException ex) when (ex.Kind == ErrorKind.NodeUnavailable)
        {
            await FailBuildAsync(session, $"the build was interrupted: node {GrainKeys.NodeOf(session)} left the cluster");
            return;
        }
        catch (Exception ex)
        {
            LogBuildCheckFailed(ex, Written, session);
            return;
        }

        switch (update.Phase)
        {
            case ImageBuildPhase.Succeeded when update.Manifest is { } manifest:
                await CompleteBuildAsync(session, update.NodeId, manifest);
                break;
            case ImageBuildPhase.Failed:
                await FailBuildAsync(session, update.Failure?.ToString() ?? "the build failed");
                break;
            case ImageBuildPhase.Cancelled:
                await FailBuildAsync(session, null);
                break;
            case ImageBuildPhase.None:
                await FailBuildAsync(session, $"the build was interrupted: node {GrainKeys.NodeOf(session)} restarted");
                break;
        }
    }
}
