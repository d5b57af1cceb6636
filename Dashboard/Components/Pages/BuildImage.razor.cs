using System.Formats.Tar;
using System.IO.Compression;
using Formation.Dashboard.Cluster;
using Formation.Dashboard.Components.Shared;
using Formation.Display;
using Formation.Events;
using Formation.Formfiles;
using Formation.Images;
using Microsoft.AspNetCore.Components.Forms;
using MudBlazor;

namespace Formation.Dashboard.Components.Pages;

/// <summary>
/// <c>form pack build</c> in the browser: a pasted or uploaded Formfile, checked as it is typed by the same parser the
/// builder uses (errors at their line and column), an optional context archive, and the build on a node with live
/// per-step progress (the session's stream, with its catch-up reads so nothing is missed). A failed step is marked at
/// its Formfile line.
/// </summary>
public sealed partial class BuildImage : LivePage
{
    /// <summary>Largest context archive the page accepts (the node accepts up to 4 GiB; the browser upload is the limit here).</summary>
    public const long MaxContextBytes = 1L << 30;

    private static readonly TimeSpan PollWait = TimeSpan.FromSeconds(10);

    private string _text = "";
    private string[] _lines = [""];
    private FormfileParseResult _parse = FormfileParser.Parse("");
    private IBrowserFile? _context;
    private string? _tag;
    private string? _node;
    private BuildSteps? _steps;
    private ImageBuildUpdate? _result;
    private string? _outcome;
    private Severity _outcomeSeverity;
    private CancellationTokenSource? _cancel;
    private ImageBuildSession? _session;
    private bool _started;
    private Task _run = Task.CompletedTask;

    private bool Running { get; set; }

    private string Text
    {
        get => _text;
        set
        {
            _text = value ?? "";
            _lines = _text.Replace("\r\n", "\n").Split('\n');
            _parse = FormfileParser.Parse(_text, "Formfile");
            _result = null;
        }
    }

    private string Summary
    {
        get
        {
            var errors = _parse.Errors.Count();
            var warnings = _parse.Diagnostics.Length - errors;
            if (_text.Length == 0)
            {
                return "Paste a Formfile or pick one; it is checked as you type.";
            }

            return _parse.Formfile is { } f
                ? $"OK — image {f.Name} from {f.From}, {f.Instructions.Length} build step(s), {f.Resources.Vcpu} vCPU, {f.Resources.MemoryMb} MB memory" +
                  (warnings > 0 ? $", {warnings} warning(s)." : ".")
                : $"{errors} error(s), {warnings} warning(s): fix them to build.";
        }
    }

    protected override Task LoadAsync() => Task.CompletedTask;

    protected override async ValueTask DisposeCoreAsync()
    {
        if (_cancel is not null && !_started)
        {
            await _cancel.CancelAsync(); // still uploading: nothing useful would be left on the node
        }

        try
        {
            await _run;
        }
        catch (Exception)
        {
            // The page is gone; the build's outcome is on the Images page.
        }
    }

    private async Task LoadFormfileAsync(InputFileChangeEventArgs e)
    {
        try
        {
            using var reader = new StreamReader(e.File.OpenReadStream(FormfileParser.MaxLength + 1));
            Text = await reader.ReadToEndAsync();
        }
        catch (IOException ex)
        {
            _outcome = $"Could not read {e.File.Name}: {ex.Message} (a Formfile may be at most {FormfileParser.MaxLength / 1024} KiB).";
            _outcomeSeverity = Severity.Error;
        }
    }

    private void PickContext(InputFileChangeEventArgs e) => _context = e.File;

    private Task BuildAsync()
    {
        _run = RunAsync();
        return _run;
    }

    private async Task CancelAsync()
    {
        if (_cancel is not null)
        {
            await _cancel.CancelAsync();
        }
    }

    private async Task RunAsync()
    {
        _steps = new BuildSteps();
        _result = null;
        _outcome = null;
        _started = false;
        Running = true;
        using var cancel = _cancel = new CancellationTokenSource();
        IAsyncDisposable? subscription = null;
        try
        {
            var tag = string.IsNullOrWhiteSpace(_tag) ? null : _tag.Trim();
            var name = tag ?? _parse.Formfile?.Name;
            _session = await Formation.NewBuildAsync(name is null ? null : ImageReference.Normalize(name), string.IsNullOrWhiteSpace(_node) ? null : _node.Trim());
            var opened = await _session.OpenAsync(new ImageBuildRequest(_text, "Formfile", tag));
            _steps = new BuildSteps();
            subscription = await Formation.SubscribeAsync<ImageBuildEvent>(EventStreams.ForBuild(_session.Key), e => InvokeAsync(() =>
            {
                if (_steps.Apply(e.Index, e.Progress))
                {
                    StateHasChanged();
                }
            }));
            var (update, _, _) = await _session.UploadAndStartAsync(WriteContextAsync, cancel.Token);
            _started = true;
            while (true)
            {
                Apply(update);
                StateHasChanged();
                if (update.IsFinished)
                {
                    break;
                }

                update = await _session.Grain.WatchAsync(_steps.Next, PollWait).WaitAsync(cancel.Token);
            }

            Finish(opened.Reference ?? "the image", update);
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested && _session is not null)
        {
            var cancelled = await _session.CancelQuietlyAsync();
            _outcome = $"The build was cancelled{(cancelled is null ? "" : $" ({cancelled.Phase})")}; nothing was registered.";
            _outcomeSeverity = Severity.Warning;
        }
        catch (Exception ex)
        {
            if (_session is not null && !_started)
            {
                await _session.CancelQuietlyAsync();
            }

            _outcome = FabricErrors.Describe(ex);
            _outcomeSeverity = Severity.Error;
        }
        finally
        {
            Running = false;
            _cancel = null;
            if (subscription is not null)
            {
                await subscription.DisposeAsync();
            }
        }
    }

    private void Apply(ImageBuildUpdate update)
    {
        _steps!.SkipTo(update.FirstIndex);
        for (var i = 0; i < update.Events.Length; i++)
        {
            _steps.Apply(update.FirstIndex + i, update.Events[i]);
        }
    }

    private void Finish(string reference, ImageBuildUpdate update)
    {
        _result = update;
        var ran = _steps!.Steps.Count(s => s.Status == BuildStepStatus.Ran);
        (_outcome, _outcomeSeverity) = update.Phase switch
        {
            ImageBuildPhase.Succeeded =>
                ($"Built {update.Reference} {update.Manifest?.Digest} on node {update.NodeId} ({ran} of {_steps.StepCount} steps ran).", Severity.Success),
            ImageBuildPhase.Failed when update.Failure is { } f =>
                ($"The build of {update.Reference} failed at step {f.Step}/{f.StepCount} '{f.Description}'" +
                 (f.Line > 0 ? $" (Formfile line {f.Line})" : "") + (f.ExitCode is { } c ? $", exit code {c}" : "") + $": {f.Message}. Nothing was registered.",
                 Severity.Error),
            _ => ($"The build of {reference} ended {update.Phase.ToString().ToLowerInvariant()}; nothing was registered.", Severity.Warning),
        };
    }

    private async Task WriteContextAsync(Stream upload, CancellationToken cancellationToken)
    {
        if (_context is null)
        {
            await using var empty = new TarWriter(upload, leaveOpen: true); // an empty archive: two zero blocks
            return;
        }

        await using var file = _context.OpenReadStream(MaxContextBytes, cancellationToken);
        var gzip = _context.Name.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) || _context.Name.EndsWith(".tgz", StringComparison.OrdinalIgnoreCase);
        await using var source = gzip ? new GZipStream(file, CompressionMode.Decompress) : file;
        await source.CopyToAsync(upload, cancellationToken);
    }

    private static string LineClass(List<FormfileDiagnostic> findings, bool failed) =>
        "ff-line" + (failed || findings.Any(d => d.Severity == DiagnosticSeverity.Error) ? " error" : findings.Count > 0 ? " warning" : "");

    private static string IconOf(BuildStepStatus status) => status switch
    {
        BuildStepStatus.Cached => Icons.Material.Filled.Cached,
        BuildStepStatus.Running => Icons.Material.Filled.HourglassTop,
        BuildStepStatus.Ran => Icons.Material.Filled.CheckCircle,
        BuildStepStatus.Failed => Icons.Material.Filled.Error,
        _ => Icons.Material.Outlined.Circle,
    };

    private static Color ColorOf(BuildStepStatus status) => ToneColors.Of(status switch
    {
        BuildStepStatus.Ran or BuildStepStatus.Cached => Tone.Good,
        BuildStepStatus.Failed => Tone.Bad,
        BuildStepStatus.Running => Tone.Caution,
        _ => Tone.Muted,
    });

    private static string StatusText(BuildStep step) => step.Status switch
    {
        BuildStepStatus.Cached => "cached",
        BuildStepStatus.Running => "running…",
        BuildStepStatus.Ran => $"ran in {step.Detail}",
        BuildStepStatus.Failed => $"failed: {step.Detail}",
        _ => "",
    };
}
