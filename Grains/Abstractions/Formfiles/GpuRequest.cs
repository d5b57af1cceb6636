namespace Formation.Formfiles;

/// <summary>A <c>GPU MODEL[:COUNT]</c> request (recorded; scheduling uses it).</summary>
[GenerateSerializer, Immutable, Alias("Formation.Formfiles.GpuRequest")]
public sealed record GpuRequest(
    [property: Id(0)] string Model,
    [property: Id(1)] int Count)
{
    /// <summary>GPU models the original Formation accepted.</summary>
    public static IReadOnlyList<string> KnownModels { get; } = ["RTX5090", "H100", "H200", "B200"];

    public override string ToString() => $"{Model}:{Count}";
}
