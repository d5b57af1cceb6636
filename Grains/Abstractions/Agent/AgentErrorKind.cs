namespace Formation.Agent;

/// <summary>Why the agent refused or could not start a command (the first byte of an ERROR frame).</summary>
public enum AgentErrorKind : byte
{
    /// <summary>No such program in the guest's PATH (a shell's exit 127).</summary>
    NotFound = 1,

    /// <summary>The program exists but cannot be executed (a shell's exit 126).</summary>
    NotExecutable = 2,

    /// <summary>The agent did not understand the request.</summary>
    BadRequest = 3,

    /// <summary>The user, working directory, pty or process could not be set up.</summary>
    StartFailed = 4,
}
