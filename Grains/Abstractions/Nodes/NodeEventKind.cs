namespace Formation.Nodes;

[GenerateSerializer]
[Alias("formation.node-event-kind")]
public enum NodeEventKind
{
    Joined = 0,
    Left = 1,
    Unhealthy = 2,
    Healthy = 3,
}
