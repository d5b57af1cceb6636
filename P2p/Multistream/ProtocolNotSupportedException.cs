namespace Formation.P2p.Multistream;

/// <summary>The remote peer refused every protocol proposed (it answered <c>na</c>).</summary>
public sealed class ProtocolNotSupportedException(string message) : Exception(message);
