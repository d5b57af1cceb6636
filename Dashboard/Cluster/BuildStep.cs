namespace Formation.Dashboard.Cluster;

/// <summary>One step of a build as the build page shows it.</summary>
public sealed class BuildStep(int number, string description)
{
    public int Number { get; } = number;

    public string Description { get; } = description;

    public BuildStepStatus Status { get; set; } = BuildStepStatus.Waiting;

    /// <summary>"ran in 1.2 s", the cache note, or why it failed.</summary>
    public string? Detail { get; set; }

    public List<string> Output { get; } = [];
}
