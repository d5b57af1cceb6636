namespace Formation.Silo.Images;

/// <summary>The image stream's listener (section <c>Formation:ImageStream</c>).</summary>
public sealed class ImageStreamOptions
{
    public const string Section = "Formation:ImageStream";

    /// <summary>TCP port on the silo's advertised address (0: a free port, told to fetching nodes with each ticket).</summary>
    public int Port { get; set; }

    /// <summary>Off: this node offers no stream, and nodes fetch its images in grain calls.</summary>
    public bool Enabled { get; set; } = true;
}
