namespace Formation.Grains.Images;

/// <summary>
/// The source's image stream could not be reached or would not authenticate (<see cref="IImageImport.ReceiveAsync"/>),
/// before anything was written: the fetch may take the grain-call path instead.
/// </summary>
public sealed class ImageStreamUnreachableException(string message, Exception? inner = null) : IOException(message, inner);
