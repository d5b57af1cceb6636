using Formation.P2p.Identity;

namespace Formation.P2p.Noise;

/// <summary>A finished Noise handshake: the encrypted stream, the authenticated remote peer and the muxers it offered.</summary>
public sealed record NoiseResult(NoiseStream Stream, PeerId RemotePeer, IReadOnlyList<string> RemoteMuxers);
