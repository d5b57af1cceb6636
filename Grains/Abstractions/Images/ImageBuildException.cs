namespace Formation.Images;

/// <summary>An image build failed; <see cref="Failure"/> says where and why. Nothing of the build was registered.</summary>
[GenerateSerializer, Alias("Formation.Images.ImageBuildException")]
public sealed class ImageBuildException : Exception
{
    public ImageBuildException(BuildFailure failure)
        : base(failure.ToString())
    {
        Failure = failure;
    }

    [Id(0)]
    public BuildFailure Failure { get; }
}
