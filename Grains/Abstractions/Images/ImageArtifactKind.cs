namespace Formation.Images;

/// <summary>What the image's root filesystem is.</summary>
[GenerateSerializer, Alias("Formation.Images.ImageArtifactKind")]
public enum ImageArtifactKind
{
    /// <summary>An uncompressed newc cpio archive the kernel unpacks into RAM (<c>FROM tiny</c>); no root disk.</summary>
    Initramfs = 0,

    /// <summary>A raw ext4 disk image sized by <c>DISK</c> (sparse), booted with <c>root=/dev/vda</c>.</summary>
    Ext4Disk = 1,
}
