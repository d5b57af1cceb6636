namespace Formation.Silo.Pack;

/// <summary>What a <see cref="ContextEntry"/> places in the image.</summary>
internal enum ContextEntryKind
{
    File,
    Directory,
    Symlink,
}
