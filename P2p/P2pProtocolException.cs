namespace Formation.P2p;

/// <summary>
/// A remote peer broke the wire protocol (bad varint, oversized frame, bad signature, window abuse …).
/// The connection it came from is closed; the node keeps serving everyone else.
/// </summary>
public sealed class P2pProtocolException(string message, Exception? inner = null) : Exception(message, inner);
