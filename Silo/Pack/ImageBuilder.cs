using Formation.Formfiles;
using Formation.Images;
using Formation.Silo.Platform;
using Microsoft.Extensions.Logging.Abstractions;

namespace Formation.Silo.Pack;

/// <summary>
/// Builds Formfiles into content-addressed images on this node. Steps: the base, each Formfile build step, the
/// guest configuration, the root filesystem. Each step's result is a cached layer keyed by the previous key, the
/// instruction and its inputs (COPY: the files' contents), so an unchanged rebuild does no work and a changed step
/// rebuilds from there on. A failed build throws <see cref="ImageBuildException"/> and registers nothing.
/// </summary>
public sealed partial class ImageBuilder
{
    /// <summary>Most filesystem layers one image may have (overlayfs mount options are limited to a page).</summary>
    public const int MaxLayers = 90;

    private readonly PackOptions _options;
    private readonly PackPaths _paths;
    private readonly ImageStore _store;
    private readonly LayerStore _layers;
    private readonly BaseLayers _bases;
    private readonly IsolatedRunner _runner;
    private readonly RootfsAssembler _assembler;
    private readonly ILogger _logger;
    private readonly BuildMetrics? _metrics;

    public ImageBuilder(PackOptions options, ImageStore store, ILogger<ImageBuilder>? logger = null, BuildMetrics? metrics = null)
    {
        if (options.BenchmarkWithoutSandbox && Environment.GetEnvironmentVariable(PackOptions.BenchmarkEnvironmentVariable) != "1")
        {
            throw new InvalidOperationException(
                $"PackOptions.BenchmarkWithoutSandbox turns the build sandbox's limits and network isolation off and is for benchmarks only; it needs {PackOptions.BenchmarkEnvironmentVariable}=1");
        }

        _options = options;
        _paths = options.Paths;
        _store = store;
        _layers = new LayerStore(_paths);
        _bases = new BaseLayers(options, _paths, _layers);
        _runner = new IsolatedRunner(_paths, options);
        _assembler = new RootfsAssembler(_paths, options);
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _metrics = metrics;
    }

    /// <summary>Builds <paramref name="request"/>, reporting per-step progress; returns the registered image's manifest.</summary>
    public async Task<ImageManifest> BuildAsync(BuildRequest request, IProgress<BuildProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var formfile = Parse(request);
        var tag = request.Tag ?? formfile.Name;
        if (!ImageStore.IsValidTag(tag))
        {
            throw Fail(null, $"'{tag}' is not a valid image tag: use letters, digits, '.', '_', ':' and '-'", null, []);
        }

        var reporter = new BuildReporter(progress, formfile.Instructions.Length + 3);
        var outcome = "failed";
        _paths.EnsureCreated();
        await RemoveStaleScratchAsync();
        var scratch = _paths.NewTempDirectory("build");
        try
        {
            LogBuildStarted(formfile.Name, formfile.From.Reference, reporter.StepCount);
            reporter.Started($"build {formfile.Name} from {formfile.From}");
            var context = await OpenContextAsync(request, scratch, cancellationToken);
            await using var disk = _options.BenchmarkWithoutSandbox ? null : BuildDisk.For(formfile, _options);
            var manifest = await BuildStepsAsync(formfile, context, tag, reporter, request.FormfileText, disk, cancellationToken);
            reporter.Finished($"{manifest.Digest} tagged {tag} ({reporter.StepsExecuted} steps run, {reporter.Elapsed.TotalSeconds:0.0} s)");
            LogBuildCompleted(formfile.Name, manifest.Digest, reporter.StepsExecuted, reporter.Elapsed.TotalSeconds);
            outcome = "succeeded";
            return manifest;
        }
        catch (OperationCanceledException)
        {
            outcome = "canceled";
            throw;
        }
        catch (BuildStepException ex)
        {
            throw Fail(reporter, ex.Message, ex.ExitCode, ex.OutputTail);
        }
        catch (Exception ex) when (ex is not (OperationCanceledException or ImageBuildException))
        {
            throw Fail(reporter, $"{ex.GetType().Name}: {ex.Message}", null, []);
        }
        finally
        {
            HostPaths.DeleteTree(scratch);
            _metrics?.Built(outcome, reporter.Elapsed);
        }
    }

    private static Formfile Parse(BuildRequest request)
    {
        var result = FormfileParser.Parse(request.FormfileText, request.FormfilePath);
        if (result.Formfile is { } formfile)
        {
            return formfile;
        }

        var errors = result.Errors.ToList();
        throw new ImageBuildException(new BuildFailure(0, 0, $"parse {request.FormfilePath}", errors[0].Line, null,
            [.. result.Diagnostics.Select(d => d.ToString())], $"the Formfile has {errors.Count} error(s); fix them and build again"));
    }

    private ImageBuildException Fail(BuildReporter? reporter, string message, int? exitCode, IReadOnlyList<string> tail)
    {
        var failure = new BuildFailure(reporter?.Step ?? 0, reporter?.StepCount ?? 0, reporter?.Description ?? "prepare", reporter?.Line ?? 0,
            exitCode, [.. tail], message);
        reporter?.Failed(message);
        LogBuildFailed(failure.Description, failure.Step, failure.ExitCode, message);
        return new ImageBuildException(failure);
    }

    private static async Task<BuildContext> OpenContextAsync(BuildRequest request, string scratch, CancellationToken cancellationToken)
    {
        if (request.ContextTar is { } tar)
        {
            var directory = Path.Combine(scratch, "context");
            await ContextArchive.ExtractAsync(tar, directory, cancellationToken);
            return BuildContext.FromDirectory(directory);
        }

        if (request.ContextDirectory is { } contextDirectory)
        {
            return BuildContext.FromDirectory(contextDirectory);
        }

        var empty = Path.Combine(scratch, "context");
        Directory.CreateDirectory(empty);
        return BuildContext.FromDirectory(empty);
    }

    /// <summary>
    /// Removes scratch directories and build disks (unmounting what is mounted in them) left by builder processes that
    /// no longer exist: both are named after the pid of the process that made them.
    /// </summary>
    private async Task RemoveStaleScratchAsync()
    {
        foreach (var parent in new[] { _paths.Temp, _options.BuildDiskDirectory }.Where(Directory.Exists))
        {
            foreach (var dir in Directory.EnumerateDirectories(parent))
            {
                var name = Path.GetFileName(dir);
                var dash = name.IndexOf('-');
                if (dash > 0 && int.TryParse(name[..dash], out var pid) && pid != Environment.ProcessId && !Directory.Exists($"/proc/{pid}"))
                {
                    foreach (var mount in HostMounts.Under(dir))
                    {
                        await HostMounts.UnmountAsync(mount);
                    }

                    if (HostMounts.Under(dir).Count == 0)
                    {
                        HostPaths.DeleteTree(dir);
                    }
                }
            }
        }
    }
}
