using Formation.Images;

namespace Formation.Grains.Images;

[GenerateSerializer]
[Alias("formation.image-grain-state")]
public sealed class ImageGrainState
{
    [Id(0)] public ImageStatus? Status { get; set; }
}
