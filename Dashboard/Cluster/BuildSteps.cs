using Formation.Images;

namespace Formation.Dashboard.Cluster;

/// <summary>
/// A build's progress per step, from its events in index order (duplicates and events already seen are ignored, so the
/// stream and the session's catch-up reads can both feed it).
/// </summary>
public sealed class BuildSteps
{
    private const int MaxOutputLines = 200;
    private readonly SortedDictionary<int, BuildStep> _steps = [];

    /// <summary>The index of the next event expected.</summary>
    public int Next { get; private set; }

    public int StepCount { get; private set; }

    public string? Title { get; private set; }

    public IReadOnlyCollection<BuildStep> Steps => _steps.Values;

    /// <summary>Warnings of the build (not tied to a step's output).</summary>
    public List<string> Warnings { get; } = [];

    /// <summary>Moves past events the session no longer keeps (a long build drops its oldest output lines).</summary>
    public void SkipTo(int index) => Next = Math.Max(Next, index);

    /// <summary>Applies the event at <paramref name="index"/> if it is the next one; false when it is old or ahead of a gap.</summary>
    public bool Apply(int index, BuildProgress e)
    {
        if (index != Next)
        {
            return false;
        }

        Next++;
        StepCount = Math.Max(StepCount, e.StepCount);
        if (e.Kind == BuildProgressKind.Started)
        {
            Title = e.Description;
            return true;
        }

        if (e.Step <= 0)
        {
            if (e.Kind == BuildProgressKind.Warning && e.Message is not null)
            {
                Warnings.Add(e.Message);
            }

            return true;
        }

        if (!_steps.TryGetValue(e.Step, out var step))
        {
            _steps[e.Step] = step = new BuildStep(e.Step, e.Description);
        }

        switch (e.Kind)
        {
            case BuildProgressKind.StepCached:
                step.Status = BuildStepStatus.Cached;
                break;
            case BuildProgressKind.StepStarted:
                step.Status = BuildStepStatus.Running;
                break;
            case BuildProgressKind.Output:
                step.Output.Add(e.Message ?? "");
                if (step.Output.Count > MaxOutputLines)
                {
                    step.Output.RemoveAt(0);
                }

                break;
            case BuildProgressKind.Warning:
                Warnings.Add($"step {e.Step}: {e.Message}");
                break;
            case BuildProgressKind.StepCompleted:
                step.Status = step.Status == BuildStepStatus.Running ? BuildStepStatus.Ran : BuildStepStatus.Cached;
                step.Detail = e.Message;
                break;
            case BuildProgressKind.Failed:
                step.Status = BuildStepStatus.Failed;
                step.Detail = e.Message;
                break;
        }

        return true;
    }
}
