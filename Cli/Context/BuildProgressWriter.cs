using Formation.Images;

namespace Formation.Cli.Context;

/// <summary>
/// Turns build progress events into lines: <c>[n/m] STEP: cached</c>, <c>[n/m] STEP: running</c>, the step's output
/// indented, <c>[n/m] STEP: ran in 1.2 s</c>. Counts the steps that ran.
/// </summary>
public sealed class BuildProgressWriter(TextWriter output)
{
    private readonly HashSet<int> _started = [];

    /// <summary>Steps that did work (were not in the cache).</summary>
    public int StepsRun => _started.Count;

    /// <summary>Steps of the build (known once it started).</summary>
    public int StepCount { get; private set; }

    /// <summary>Build time reported by the last event.</summary>
    public TimeSpan Elapsed { get; private set; }

    public void Write(BuildProgress e)
    {
        StepCount = Math.Max(StepCount, e.StepCount);
        Elapsed = e.Elapsed;
        var step = $"[{e.Step}/{e.StepCount}] {e.Description}";
        switch (e.Kind)
        {
            case BuildProgressKind.Started:
                output.WriteLine($"{e.Description} ({e.StepCount} steps)");
                break;
            case BuildProgressKind.StepCached:
                output.WriteLine($"{step}: cached");
                break;
            case BuildProgressKind.StepStarted:
                _started.Add(e.Step);
                output.WriteLine($"{step}: running");
                break;
            case BuildProgressKind.Output:
                output.WriteLine($"      | {e.Message}");
                break;
            case BuildProgressKind.Warning:
                output.WriteLine($"      warning: {e.Message}");
                break;
            case BuildProgressKind.StepCompleted:
                output.WriteLine(_started.Contains(e.Step) ? $"{step}: ran in {e.Message}" : $"{step}: {e.Message}");
                break;
        }
    }
}
