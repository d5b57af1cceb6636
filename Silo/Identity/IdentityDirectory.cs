namespace Formation.Silo.Identity;

/// <summary>
/// A node's TLS files, in <c>DATA/identity</c> (0700): its credential (certificate, cluster CA certificate, key; 0600)
/// and, on the node that made the cluster, the CA's certificate and key (0600) and the first admin credential (0600).
/// </summary>
public sealed record IdentityDirectory(string Directory)
{
    public static IdentityDirectory In(string dataDirectory) => new(Path.Combine(dataDirectory, "identity"));

    public string NodeCredential => Path.Combine(Directory, "node.credential");

    public string CaCertificate => Path.Combine(Directory, "ca.crt");

    public string CaKey => Path.Combine(Directory, "ca.key");

    public string AdminCredential => Formation.Identity.CredentialPaths.AdminIn(Path.GetDirectoryName(Directory)!);

    /// <summary>Creates the directory readable by its owner only.</summary>
    public void Create()
    {
        System.IO.Directory.CreateDirectory(Directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.SetUnixFileMode(Directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }
}
