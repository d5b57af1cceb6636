using Formation.Images;

namespace Formation.Bench.Pack;

/// <summary>Counts the build steps that did work (not served from the layer cache).</summary>
internal sealed class StepCounter : IProgress<BuildProgress>
{
    private readonly List<int> _steps = [];

    public int Executed => _steps.Count;

    /// <summary>True when the base (step 1) had to be built.</summary>
    public bool BuiltBase => _steps.Contains(1);

    public void Report(BuildProgress value)
    {
        if (value.Kind == BuildProgressKind.StepStarted)
        {
            _steps.Add(value.Step);
        }
    }
}
