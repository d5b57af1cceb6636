namespace Formation.P2p.Addressing;

/// <summary>One <c>/protocol/value</c> part of a multiaddr (value in binary form; empty for value-less protocols).</summary>
public sealed record MultiaddrComponent(MultiaddrProtocol Protocol, byte[] Value);
