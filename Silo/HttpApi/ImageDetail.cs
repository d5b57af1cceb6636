using Formation.Images;

namespace Formation.Silo.HttpApi;

/// <summary>The body of <c>GET /v1/images/{reference}</c>: what <c>form image show --json</c> prints.</summary>
public sealed record ImageDetail(ImageStatus Status, ImageManifest? Manifest);
