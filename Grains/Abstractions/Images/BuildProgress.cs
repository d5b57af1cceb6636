namespace Formation.Images;

/// <summary>
/// One build progress event. Steps are numbered 1..<see cref="StepCount"/>: the base, each Formfile build step,
/// the image configuration and the root filesystem assembly.
/// </summary>
[GenerateSerializer, Immutable, Alias("Formation.Images.BuildProgress")]
public sealed record BuildProgress(
    [property: Id(0)] BuildProgressKind Kind,
    [property: Id(1)] int Step,
    [property: Id(2)] int StepCount,
    [property: Id(3)] string Description,
    [property: Id(4)] string? Message,
    [property: Id(5)] TimeSpan Elapsed)
{
    public override string ToString() => Message is null
        ? $"[{Step}/{StepCount}] {Kind}: {Description}"
        : $"[{Step}/{StepCount}] {Kind}: {Description}: {Message}";
}
