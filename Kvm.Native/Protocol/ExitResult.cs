namespace Formation.Vmm.Protocol;

/// <summary>
/// How the VM stopped (the result of shutdown, kill and wait): <c>{"exitReason":"Reset","exitStatus":10,"detail":"…"}</c>.
/// <see cref="ExitStatus"/> is formation-vmm's process exit status, the number of <see cref="ExitReason"/>.
/// </summary>
public sealed record ExitResult(ExitReason ExitReason, int ExitStatus, string? Detail = null)
{
    public static ExitResult For(ExitReason reason, string? detail) => new(reason, (int)reason, detail);
}
