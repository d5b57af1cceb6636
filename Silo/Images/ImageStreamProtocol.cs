using System.Text.Json.Serialization;

namespace Formation.Silo.Images;

/// <summary>
/// The receiver's one request on an image stream connection, after mutual TLS: the one-time ticket its grain call got
/// (<see cref="Formation.Grains.Images.ImageStreamOffer"/>), the image, and the files it wants whole, in this order.
/// </summary>
public sealed record ImageStreamRequest(string Ticket, string Digest, IReadOnlyList<string> Files);

/// <summary>The source's answer: each requested file's length, or why it serves nothing (then it closes the connection).</summary>
public sealed record ImageStreamAnswer(IReadOnlyList<long>? Lengths, string? Error);

[JsonSerializable(typeof(ImageStreamRequest))]
[JsonSerializable(typeof(ImageStreamAnswer))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
internal sealed partial class ImageStreamJson : JsonSerializerContext;

/// <summary>
/// After the answer, each file follows as its consecutive ranges of <see cref="Formation.Images.ImageChunk.MaxBytes"/>
/// (the ranges of <see cref="Formation.Images.ImageChunk.RangeLength"/>): one byte <see cref="Data"/> and the range's
/// bytes, or one byte <see cref="Hole"/> when the whole range is a hole of a sparse file (it reads as zeros). The
/// request and answer are one JSON line each (<see cref="Formation.Silo.Platform.JsonLines"/>).
/// </summary>
internal static class ImageStreamFrame
{
    public const byte Data = 0;
    public const byte Hole = 1;
}
