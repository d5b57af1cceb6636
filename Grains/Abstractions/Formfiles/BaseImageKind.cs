namespace Formation.Formfiles;

/// <summary>The root filesystems an image can start from (<c>FROM</c>).</summary>
[GenerateSerializer, Alias("Formation.Formfiles.BaseImageKind")]
public enum BaseImageKind
{
    /// <summary>A minimal Debian root built from Debian's packages; <c>INSTALL</c> uses apt. The default.</summary>
    Debian = 0,

    /// <summary>A busybox-static root in an initramfs; builds in seconds, has no package manager.</summary>
    Tiny = 1,
}
