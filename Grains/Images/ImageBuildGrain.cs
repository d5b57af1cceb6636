using Formation.Errors;
using Formation.Formfiles;
using Formation.Grains.Placement;
using Formation.Identity;
using Formation.Images;
using Formation.Ownership;
using Microsoft.Extensions.Options;

namespace Formation.Grains.Images;

/// <summary>
/// One build session on its node's silo (in memory only: a silo restart forgets it, and the image grain then notices
/// the build is gone). Receives the context, runs the build on the host in the background, keeps its progress events
/// for polling clients and publishes them on the build streams, and records the outcome in the image grain.
/// </summary>
[HostAffinityPlacement]
public sealed partial class ImageBuildGrain(
    IImageHost host,
    IOptions<ImageBuildOptions> options,
    TimeProvider clock,
    ILogger<ImageBuildGrain> logger) : Grain, IImageBuildGrain
{
    private readonly ImageBuildOptions _options = options.Value;
    private readonly List<BuildProgress> _events = [];
    private int _firstIndex;
    private ImageBuildPhase _phase;
    private ImageBuildRequest? _request;
    private string? _reference;
    private string? _storeTag;
    private IContextUpload? _upload;
    private DateTimeOffset _lastUpload;
    private IGrainTimer? _idleTimer;
    private CancellationTokenSource? _cancel;
    private Task? _run;
    private ImageManifest? _manifest;
    private BuildFailure? _failure;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private string Session => this.GetPrimaryKeyString();

    private string NodeId => GrainKeys.NodeOf(Session);

    private int NextIndex => _firstIndex + _events.Count;

    public async Task<ImageBuildUpdate> OpenAsync(ImageBuildRequest request)
    {
        if (_phase != ImageBuildPhase.None)
        {
            throw FormationException.Conflict($"Build session {Session} is already {_phase}; open a new session for another build.");
        }

        var parsed = FormfileParser.Parse(request.FormfileText, request.FormfilePath);
        if (parsed.Formfile is not { } formfile)
        {
            var errors = parsed.Errors.ToList();
            throw FormationException.Invalid(
                $"{request.FormfilePath} has {errors.Count} error(s):\n  " + string.Join("\n  ", errors.Take(20)) +
                "\nFix them (`form pack validate` shows them all) and build again.");
        }

        var (account, canonical) = Owned(request.Reference ?? formfile.Name);
        var reference = ImageNames.RecordKey(account, canonical);
        await GrainFactory.GetGrain<IImageRecordGrain>(reference).BeginBuildAsync(Session);
        _request = request;
        _reference = reference;
        _storeTag = ImageNames.StoreTag(account, canonical);
        _upload = host.CreateUpload();
        _lastUpload = clock.GetUtcNow();
        _phase = ImageBuildPhase.Uploading;
        var check = _options.UploadIdleTimeout / 4;
        _idleTimer = this.RegisterGrainTimer(DiscardIfIdleAsync, check, check);
        LogOpened(Session, reference);
        return Snapshot(0);
    }

    public async Task<long> UploadAsync(long offset, byte[] chunk)
    {
        if (_phase != ImageBuildPhase.Uploading || _upload is null)
        {
            throw FormationException.Conflict($"Build session {Session} is {_phase}, not receiving a context; open a new session.");
        }

        if (chunk.Length > IImageBuildGrain.MaxChunkBytes)
        {
            throw FormationException.Invalid($"A context chunk may hold at most {IImageBuildGrain.MaxChunkBytes} bytes (got {chunk.Length}).");
        }

        if (offset + chunk.Length == _upload.Length && chunk.Length > 0)
        {
            return _upload.Length; // the last chunk again (a retried call)
        }

        if (offset != _upload.Length)
        {
            throw FormationException.Invalid($"Context chunk at offset {offset}, but {_upload.Length} bytes have been received; send the chunks in order.");
        }

        if (_upload.Length + chunk.Length > _options.MaxContextBytes)
        {
            throw FormationException.Invalid(
                $"The build context is larger than {_options.MaxContextBytes / (1 << 20)} MiB; leave out what the build does not need with a .formignore file.");
        }

        _lastUpload = clock.GetUtcNow();
        await _upload.AppendAsync(chunk, CancellationToken.None);
        return _upload.Length;
    }

    public async Task<ImageBuildUpdate> StartAsync(long totalBytes, string sha256)
    {
        if (_phase != ImageBuildPhase.Uploading || _upload is null)
        {
            throw FormationException.Conflict($"Build session {Session} is {_phase}; only an open session can start.");
        }

        if (totalBytes != _upload.Length || !string.Equals(sha256, _upload.Sha256(), StringComparison.OrdinalIgnoreCase))
        {
            var received = _upload.Length;
            await AbortUploadAsync();
            throw FormationException.Invalid(
                $"The build context arrived damaged ({received} of {totalBytes} bytes, or a different SHA-256); nothing was built. Run the build again.");
        }

        _idleTimer?.Dispose();
        _idleTimer = null;
        _phase = ImageBuildPhase.Building;
        _cancel = new CancellationTokenSource();
        DelayDeactivation(Timeout.InfiniteTimeSpan);
        _run = RunAsync(new ImageBuildJob(_request!.FormfileText, _request.FormfilePath, _reference!, _storeTag!, _upload), _cancel.Token);
        LogStarted(Session, _reference!, totalBytes);
        return Snapshot(0);
    }

    public async Task<ImageBuildUpdate> WatchAsync(int after, TimeSpan wait)
    {
        if (after >= NextIndex && _phase is ImageBuildPhase.Uploading or ImageBuildPhase.Building && wait > TimeSpan.Zero)
        {
            var limit = wait < TimeSpan.FromSeconds(30) ? wait : TimeSpan.FromSeconds(30);
            await Task.WhenAny(_changed.Task, Task.Delay(limit, clock));
        }

        return Snapshot(after);
    }

    public async Task<ImageBuildUpdate> CancelAsync()
    {
        if (_phase == ImageBuildPhase.Uploading)
        {
            await AbortUploadAsync();
        }
        else if (_phase == ImageBuildPhase.Building)
        {
            _cancel?.Cancel();
            if (_run is { } run)
            {
                await run.WaitAsync(TimeSpan.FromSeconds(25)).ContinueWith(_ => { }, TaskScheduler.Current);
            }
        }

        return Snapshot(NextIndex);
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        if (_phase == ImageBuildPhase.Uploading)
        {
            await AbortUploadAsync();
        }
        else if (_phase == ImageBuildPhase.Building)
        {
            LogInterrupted(Session, reason.Description);
            _cancel?.Cancel();
            if (_run is { } run)
            {
                await run.WaitAsync(cancellationToken).ContinueWith(_ => { }, TaskScheduler.Current);
            }
        }
    }

    /// <summary>
    /// The account and <c>name:tag</c> a build records: the caller's own (the admin account's for the silo's own work),
    /// or with <c>ACCOUNT/</c> an account an admin names. A member cannot build into another account.
    /// </summary>
    private static (string Account, string Canonical) Owned(string reference)
    {
        var caller = CallerContext.CurrentOrSystem;
        var named = OwnedName.Parse(reference, caller);
        if (!caller.MayAct(named.Account))
        {
            throw FormationException.Invalid($"'{reference}': you can build only your own images; leave out '{named.Account}{OwnedName.Separator}'.");
        }

        return (named.Account, ImageReference.Normalize(named.Name));
    }

    private ImageBuildUpdate Snapshot(int after)
    {
        var from = Math.Clamp(after, _firstIndex, NextIndex);
        var count = Math.Min(NextIndex - from, 2000);
        return new ImageBuildUpdate(Session, NodeId, _reference, _phase, from, [.. _events.GetRange(from - _firstIndex, count)],
            from + count, _manifest, _failure, _upload?.Length ?? 0);
    }

    /// <summary>Discards an upload nobody has added to for <see cref="ImageBuildOptions.UploadIdleTimeout"/>.</summary>
    private async Task DiscardIfIdleAsync(CancellationToken cancellationToken)
    {
        if (_phase == ImageBuildPhase.Uploading && clock.GetUtcNow() - _lastUpload > _options.UploadIdleTimeout)
        {
            LogAbandoned(Session, _options.UploadIdleTimeout.TotalSeconds);
            await AbortUploadAsync();
        }
    }

    /// <summary>Ends an upload that will not be built: deletes it and releases the image (nothing registered).</summary>
    private async Task AbortUploadAsync()
    {
        _idleTimer?.Dispose();
        _idleTimer = null;
        _upload?.Dispose();
        _upload = null;
        _phase = ImageBuildPhase.Cancelled;
        await AppendAsync([new BuildProgress(BuildProgressKind.Failed, 0, 0, "upload", "cancelled before the build started", TimeSpan.Zero)]);
        try
        {
            await GrainFactory.GetGrain<IImageRecordGrain>(_reference!).FailBuildAsync(Session, null);
        }
        catch (Exception ex)
        {
            LogRecordFailed(ex, Session, _reference!);
        }

        DelayDeactivation(_options.ResultRetention);
    }
}
