using System.Diagnostics;
using Formation.Images;

namespace Formation.Silo.Pack;

/// <summary>Numbers the build's steps and turns what happens into <see cref="BuildProgress"/> events.</summary>
internal sealed class BuildReporter(IProgress<BuildProgress>? progress, int stepCount)
{
    private readonly Stopwatch _total = Stopwatch.StartNew();
    private readonly Stopwatch _step = new();

    public int Step { get; private set; }

    public int StepCount => stepCount;

    public string Description { get; private set; } = "";

    public int Line { get; private set; }

    /// <summary>Steps that had to do work (not cached), for callers and tests.</summary>
    public int StepsExecuted { get; private set; }

    public TimeSpan Elapsed => _total.Elapsed;

    public void Started(string description) => Send(BuildProgressKind.Started, description, null);

    public void Begin(int step, string description, int line)
    {
        Step = step;
        Description = description.Length > 200 ? description[..200] + "..." : description;
        Line = line;
        _step.Restart();
    }

    public void StepStarted()
    {
        StepsExecuted++;
        Send(BuildProgressKind.StepStarted, Description, null);
    }

    public void Cached() => Send(BuildProgressKind.StepCached, Description, "cached");

    public void Completed(string? message = null) => Send(BuildProgressKind.StepCompleted, Description, message ?? $"{_step.Elapsed.TotalSeconds:0.0} s");

    public void Output(string line) => Send(BuildProgressKind.Output, Description, line);

    public void Warning(string message) => Send(BuildProgressKind.Warning, Description, message);

    public void Finished(string message) => Send(BuildProgressKind.Completed, Description, message);

    public void Failed(string message) => Send(BuildProgressKind.Failed, Description, message);

    private void Send(BuildProgressKind kind, string description, string? message) =>
        progress?.Report(new BuildProgress(kind, Step, stepCount, description, message, _total.Elapsed));
}
