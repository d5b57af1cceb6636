using Formation.Images;

namespace Formation.Bench.Pack;

/// <summary>Counts the build steps that did work (not served from the layer cache).</summary>
internal sealed class StepCounter : IProgress<BuildProgress>
{
    public int Executed { get; private set; }

    public void Report(BuildProgress value)
    {
        if (value.Kind == BuildProgressKind.StepStarted)
        {
            Executed++;
        }
    }
}
