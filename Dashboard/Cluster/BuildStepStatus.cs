namespace Formation.Dashboard.Cluster;

public enum BuildStepStatus
{
    Waiting,
    Cached,
    Running,
    Ran,
    Failed,
}
