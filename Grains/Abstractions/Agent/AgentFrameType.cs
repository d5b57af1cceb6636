namespace Formation.Agent;

/// <summary>Frame types of the guest agent protocol (<c>Silo/Pack/GuestAgent/PROTOCOL.md</c>).</summary>
public enum AgentFrameType : byte
{
    /// <summary>Host → agent: magic and nonce; starts a session.</summary>
    Hello = 0x01,

    /// <summary>Host → agent: the command to run (<see cref="AgentProtocol.Exec"/>).</summary>
    Exec = 0x02,

    /// <summary>Host → agent: stdin bytes; empty closes stdin.</summary>
    Stdin = 0x03,

    /// <summary>Host → agent: pty window size.</summary>
    Resize = 0x04,

    /// <summary>Host → agent: a signal for the command's process group.</summary>
    Signal = 0x05,

    /// <summary>Agent → host: the HELLO payload echoed, then the agent's version.</summary>
    HelloAck = 0x81,

    /// <summary>Agent → host: the command runs (its pid).</summary>
    Started = 0x82,

    /// <summary>Agent → host: output (all output of a pty session).</summary>
    Stdout = 0x83,

    /// <summary>Agent → host: error output.</summary>
    Stderr = 0x84,

    /// <summary>Agent → host: the command ended (exit code, killing signal); the session is over.</summary>
    Exit = 0x85,

    /// <summary>Agent → host: the command could not start or the request was refused; the session is over.</summary>
    Error = 0x86,
}
