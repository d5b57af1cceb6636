namespace Formation.Vmm.Protocol;

/// <summary>The result of boot, pause and resume: <c>{"state":"running"}</c>.</summary>
public sealed record StateResult(MachineState State);
