namespace Formation.Agent;

/// <summary>
/// The byte stream to a guest agent broke the protocol (an oversized or unknown frame, a stream that ended mid-frame, no
/// answer in time). The guest is untrusted: this is how whatever it sends ends up, never as a hang or unbounded memory.
/// </summary>
public sealed class AgentProtocolException(string message) : Exception(message);
