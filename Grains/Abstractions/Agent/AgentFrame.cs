namespace Formation.Agent;

/// <summary>One frame of the guest agent protocol: its type and payload (at most <see cref="AgentProtocol.MaxPayload"/> bytes).</summary>
public readonly record struct AgentFrame(AgentFrameType Type, byte[] Payload);
