namespace Formation.Grains.Images;

/// <summary>
/// A build for <see cref="IImageHost.BuildAsync"/>: the Formfile, the image's record key (<c>[ACCOUNT/]name:tag</c>, the
/// grain told of the outcome), the tag it gets in the node's store (<see cref="Formation.Images.ImageNames.StoreTag"/>),
/// and the uploaded context.
/// </summary>
public sealed record ImageBuildJob(string FormfileText, string FormfilePath, string Reference, string StoreTag, IContextUpload Context);
