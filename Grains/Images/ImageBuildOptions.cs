namespace Formation.Grains.Images;

/// <summary>Limits of build sessions (configuration section <c>Formation:Builds</c>).</summary>
public sealed class ImageBuildOptions
{
    public const string SectionName = "Formation:Builds";

    /// <summary>Largest build context a session accepts.</summary>
    public long MaxContextBytes { get; set; } = 4L << 30;

    /// <summary>An upload that receives nothing for this long is discarded.</summary>
    public TimeSpan UploadIdleTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>How long a finished session keeps its result and events for clients that poll.</summary>
    public TimeSpan ResultRetention { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Most progress events a session keeps (older ones are dropped; the stream has them all).</summary>
    public int MaxRetainedEvents { get; set; } = 5000;
}
