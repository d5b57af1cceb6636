namespace Formation.Dashboard.Cluster;

/// <summary>How much a command run from the dashboard may print and how long it may take.</summary>
public static class VmExecPanelLimits
{
    public const int MaxOutputBytes = 256 * 1024;

    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
}
