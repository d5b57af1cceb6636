namespace Formation.Grains.Images;

/// <summary>A build for <see cref="IImageHost.BuildAsync"/>: the Formfile, the canonical reference to tag, and the uploaded context.</summary>
public sealed record ImageBuildJob(string FormfileText, string FormfilePath, string Reference, IContextUpload Context);
