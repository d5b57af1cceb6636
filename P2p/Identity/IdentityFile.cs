namespace Formation.P2p.Identity;

/// <summary>
/// A node's persistent identity: the libp2p PrivateKey protobuf in a file that only its owner may read (0600), so a
/// restarted node keeps its PeerId.
/// </summary>
public static class IdentityFile
{
    /// <summary>Loads the identity at <paramref name="path"/>, or creates one there (mode 0600) if the file is missing.</summary>
    public static Ed25519KeyPair LoadOrCreate(string path)
    {
        if (File.Exists(path))
        {
            var mode = File.GetUnixFileMode(path);
            if ((mode & (UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite)) != 0)
            {
                throw new InvalidOperationException(
                    $"the node identity {path} is readable or writable by other users (mode {Convert.ToString((int)mode, 8)}); run 'chmod 600 {path}' and start again");
            }

            try
            {
                return Ed25519KeyPair.FromPrivateKeyProto(File.ReadAllBytes(path));
            }
            catch (Exception e) when (e is FormatException or P2pProtocolException)
            {
                throw new InvalidOperationException($"the node identity {path} is damaged ({e.Message}); move it away to create a new identity (the node gets a new PeerId)", e);
            }
        }

        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var key = Ed25519KeyPair.Generate();
        var temp = path + ".tmp";
        using (var stream = new FileStream(temp, new FileStreamOptions
        {
            Mode = FileMode.Create,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        }))
        {
            stream.Write(key.ToPrivateKeyProto());
            stream.Flush(flushToDisk: true);
        }

        File.Move(temp, path, overwrite: false);
        return key;
    }
}
