using Formation.Images;

namespace Formation.Grains.Images;

/// <summary>What an image grain's key is: a canonical <c>name:tag</c> (the record), a name to complete, a digest, or invalid.</summary>
internal sealed record ImageKey(string Raw, string? Canonical, string? DigestHex, string? Problem)
{
    /// <summary>True for the grain that holds the record (<c>name:tag</c>).</summary>
    public bool IsRecord => Problem is null && DigestHex is null && Canonical == Raw;

    public static ImageKey Parse(string key)
    {
        var hex = ImageReference.DigestHex(key, out var explicitDigest);
        var canonical = explicitDigest ? null : ImageReference.TryNormalize(key, out _);
        if (hex is not null)
        {
            return new ImageKey(key, canonical, hex, null);
        }

        return canonical is null
            ? new ImageKey(key, null, null, ImageReference.TryNormalize(key, out var problem) is null ? problem : "invalid reference")
            : new ImageKey(key, canonical, null, null);
    }
}
