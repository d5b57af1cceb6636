using System.Collections.Immutable;

namespace Formation.Images;

/// <summary>An account created in the image (no password material).</summary>
[GenerateSerializer, Immutable, Alias("Formation.Images.ImageUser")]
public sealed record ImageUser(
    [property: Id(0)] string Username,
    [property: Id(1)] int Uid,
    [property: Id(2)] ImmutableArray<string> Groups,
    [property: Id(3)] bool Sudo,
    [property: Id(4)] string Shell,
    [property: Id(5)] int SshKeyCount,
    [property: Id(6)] bool PasswordLocked);
