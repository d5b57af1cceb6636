using System.Formats.Tar;
using System.Security.Cryptography;
using System.Text;
using Formation.Formfiles;

namespace Formation.Silo.Pack;

/// <summary>
/// The last layer of every image: the guest init, the entrypoint script, environment files, hostname and hosts.
/// Generated from the Formfile; its cache key is the digest of exactly these files.
/// </summary>
internal sealed class GuestConfig
{
    private const string ApplyScript = """
        set -eu
        BB=/usr/lib/formation/busybox
        $BB tar -x -f - -C /
        $BB ln -sf /usr/lib/formation/init /init
        $BB mkdir -p /sbin
        $BB ln -sf /usr/lib/formation/init /sbin/init
        $BB mkdir -p "$1"
        """;

    private readonly SortedDictionary<string, (byte[] Content, UnixFileMode Mode)> _files = new(StringComparer.Ordinal);

    public GuestConfig(Formfile formfile)
    {
        Workdir = formfile.Workdir;
        Hostname = ToHostname(formfile.Name);
        const UnixFileMode Exec = (UnixFileMode)0b111_101_101;
        const UnixFileMode Read = (UnixFileMode)0b110_100_100;
        Add(GuestInit.InitPath, GuestInit.Script + "\n", Exec);
        Add("/etc/hostname", Hostname + "\n", Read);
        Add("/etc/hosts", $"127.0.0.1\tlocalhost\n127.0.1.1\t{Hostname}\n::1\tlocalhost ip6-localhost ip6-loopback\n", Read);

        var entrypointEnv = new StringBuilder("# ENV for the entrypoint (system scope and --scope=service:app)\n");
        var profile = new StringBuilder("# ENV from the Formfile (system and user scopes)\n");
        var services = new SortedDictionary<string, StringBuilder>(StringComparer.Ordinal);
        foreach (var variable in formfile.Environment)
        {
            var export = $"export {variable.Name}={ShellQuoting.Quote(variable.Value)}";
            if (variable.AppliesToEntrypoint)
            {
                entrypointEnv.AppendLine(export);
            }

            switch (variable.Scope)
            {
                case EnvScopeKind.System:
                    profile.AppendLine(export);
                    break;
                case EnvScopeKind.User:
                    profile.AppendLine($"if [ \"$(id -un 2>/dev/null)\" = {ShellQuoting.Quote(variable.ScopeName!)} ]; then {export}; fi");
                    break;
                case EnvScopeKind.Service:
                    if (!services.TryGetValue(variable.ScopeName!, out var file))
                    {
                        services[variable.ScopeName!] = file = new StringBuilder();
                    }

                    file.AppendLine($"{variable.Name}=\"{variable.Value.Replace("\\", "\\\\").Replace("\"", "\\\"")}\"");
                    break;
            }
        }

        Add(GuestInit.EnvironmentPath, entrypointEnv.ToString(), Read);
        var consoleUser = formfile.Users.IsDefaultOrEmpty ? "root" : formfile.Users[0].Username;
        Add(GuestInit.ConsolePath,
            $"CONSOLE_MODE={ConsoleModes.Word(formfile.Console)}\nCONSOLE_USER={ShellQuoting.Quote(consoleUser)}\n", Read);
        Add("/etc/profile.d/formation.sh", profile.ToString(), Read);
        foreach (var (service, content) in services)
        {
            Add($"/etc/{service}.env", content.ToString(), Read);
        }

        if (formfile.Entrypoint is { } entrypoint)
        {
            var script = new StringBuilder($"#!{GuestInit.BusyboxPath} sh\n");
            script.AppendLine($"cd {ShellQuoting.Quote(formfile.Workdir)} || exit 1");
            script.AppendLine("exec " + string.Join(' ', entrypoint.Argv.Select(ShellQuoting.Quote)));
            Add(GuestInit.EntrypointPath, script.ToString(), Exec);
        }
    }

    public string Workdir { get; }

    public string Hostname { get; }

    /// <summary>Digest of every generated file and the apply script: the config layer's cache input.</summary>
    public string Digest()
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes(ApplyScript + "\0" + Workdir + "\0"));
        foreach (var (path, (content, mode)) in _files)
        {
            hash.AppendData(Encoding.UTF8.GetBytes($"{path}\0{(int)mode}\0{content.Length}\0"));
            hash.AppendData(content);
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>The argv inside the image that unpacks the files from stdin (see <see cref="WriteTarAsync"/>).</summary>
    public IReadOnlyList<string> Argv() => [GuestInit.BusyboxPath, "sh", "-c", ApplyScript, "formation-config", Workdir];

    public async Task WriteTarAsync(Stream output, CancellationToken cancellationToken)
    {
        await using var writer = new TarWriter(output, TarEntryFormat.Gnu, leaveOpen: true);
        foreach (var (path, (content, mode)) in _files)
        {
            var entry = new GnuTarEntry(TarEntryType.RegularFile, path.TrimStart('/'))
            {
                Mode = mode,
                Uid = 0,
                Gid = 0,
                DataStream = new MemoryStream(content, writable: false),
            };
            await writer.WriteEntryAsync(entry, cancellationToken);
        }
    }

    /// <summary>A valid hostname from the image NAME: lower case, letters, digits and '-', at most 63 characters.</summary>
    public static string ToHostname(string name)
    {
        var chars = name.ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-').ToArray();
        var host = new string(chars).Trim('-');
        host = host.Length > 63 ? host[..63].TrimEnd('-') : host;
        return host.Length == 0 ? "formation" : host;
    }

    private void Add(string path, string content, UnixFileMode mode) => _files[path] = (Encoding.UTF8.GetBytes(content), mode);
}
