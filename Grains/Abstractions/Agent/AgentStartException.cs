namespace Formation.Agent;

/// <summary>The agent answered EXEC with ERROR: the command did not start (<see cref="Kind"/> says why).</summary>
public sealed class AgentStartException(AgentErrorKind kind, string message) : Exception(message)
{
    public AgentErrorKind Kind { get; } = kind;

    /// <summary>The exit code a shell gives for this failure: 127 not found, 126 not executable, else 1.</summary>
    public int ShellExitCode => Kind switch
    {
        AgentErrorKind.NotFound => 127,
        AgentErrorKind.NotExecutable => 126,
        _ => 1,
    };
}
