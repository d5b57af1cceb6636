using System.Collections.Concurrent;
using Formation.Images;

namespace Formation.Silo.Tests.Pack;

/// <summary>Collects build progress events synchronously (Progress&lt;T&gt; would post them later).</summary>
internal sealed class RecordingProgress : IProgress<BuildProgress>
{
    private readonly ConcurrentQueue<BuildProgress> _events = new();

    public IReadOnlyList<BuildProgress> Events => [.. _events];

    public void Report(BuildProgress value) => _events.Enqueue(value);

    /// <summary>Step numbers that did work (were not served from the cache).</summary>
    public IReadOnlyList<int> ExecutedSteps => [.. Events.Where(e => e.Kind == BuildProgressKind.StepStarted).Select(e => e.Step)];

    public IReadOnlyList<int> CachedSteps => [.. Events.Where(e => e.Kind == BuildProgressKind.StepCached).Select(e => e.Step)];

    public string Dump() => string.Join("\n", Events.Where(e => e.Kind != BuildProgressKind.Output).Select(e => e.ToString()));
}
