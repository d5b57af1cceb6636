using Formation.Images;

namespace Formation.Silo.Pack;

/// <summary><c>pack/artifacts/&lt;key&gt;/artifact.json</c>: an assembled root filesystem in the artifact cache.</summary>
internal sealed record RootfsArtifact(string Key, ImageArtifactKind Kind, string FileName, string Digest, long SizeBytes);
