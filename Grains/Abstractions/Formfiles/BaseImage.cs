namespace Formation.Formfiles;

/// <summary>The base of an image: its kind and the canonical reference (<c>tiny</c>, <c>debian:bookworm</c>).</summary>
[GenerateSerializer, Immutable, Alias("Formation.Formfiles.BaseImage")]
public sealed record BaseImage(
    [property: Id(0)] BaseImageKind Kind,
    [property: Id(1)] string Reference)
{
    /// <summary>The default base when a Formfile has no <c>FROM</c>.</summary>
    public static BaseImage DebianBookworm { get; } = new(BaseImageKind.Debian, "debian:bookworm");

    /// <summary>The busybox base.</summary>
    public static BaseImage Tiny { get; } = new(BaseImageKind.Tiny, "tiny");

    /// <summary>The references <c>FROM</c> accepts, canonical first.</summary>
    public static IReadOnlyList<string> KnownReferences { get; } = ["debian:bookworm", "tiny", "debian", "debian:12", "busybox"];

    /// <summary>Maps a <c>FROM</c> argument to a base, or null when it is not one we can build.</summary>
    public static BaseImage? TryResolve(string reference) => reference.ToLowerInvariant() switch
    {
        "tiny" or "busybox" or "tiny:latest" => Tiny,
        "debian" or "debian:bookworm" or "debian:12" or "debian:latest" => DebianBookworm,
        _ => null,
    };

    public override string ToString() => Reference;
}
