using System.Reflection;
using System.Security.Cryptography;
using System.Text;

namespace Formation.Silo.Storage;

/// <summary>One versioned schema script embedded in this assembly (Storage/Sql/&lt;database&gt;/NNNN-name.sql).</summary>
internal sealed record SchemaScript(int Version, string Name, string Sql, string Checksum)
{
    private const string ResourcePrefix = "Formation.Sql.";

    /// <summary>The scripts for <paramref name="kind"/>, ordered by version.</summary>
    public static IReadOnlyList<SchemaScript> For(DatabaseKind kind) => Load(typeof(SchemaScript).Assembly, FolderOf(kind));

    public static string FolderOf(DatabaseKind kind) => kind switch
    {
        DatabaseKind.PostgreSql => "postgresql",
        DatabaseKind.Sqlite => "sqlite",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown database kind."),
    };

    internal static IReadOnlyList<SchemaScript> Load(Assembly assembly, string folder)
    {
        var prefix = ResourcePrefix + folder + "/";
        var scripts = new List<SchemaScript>();
        foreach (var resource in assembly.GetManifestResourceNames())
        {
            if (!resource.StartsWith(prefix, StringComparison.Ordinal))
            {
                continue;
            }

            var name = resource[prefix.Length..];
            using var stream = assembly.GetManifestResourceStream(resource)
                ?? throw new InvalidOperationException($"Embedded schema script '{resource}' cannot be opened.");
            using var reader = new StreamReader(stream, Encoding.UTF8);
            var sql = reader.ReadToEnd().Replace("\r\n", "\n", StringComparison.Ordinal);
            scripts.Add(new SchemaScript(ParseVersion(name), name, sql, ChecksumOf(sql)));
        }

        if (scripts.Count == 0)
        {
            throw new InvalidOperationException(
                $"No schema scripts for '{folder}' are embedded in {assembly.GetName().Name}; expected resources named '{prefix}NNNN-name.sql'.");
        }

        scripts.Sort((a, b) => a.Version.CompareTo(b.Version));
        for (var i = 1; i < scripts.Count; i++)
        {
            if (scripts[i].Version == scripts[i - 1].Version)
            {
                throw new InvalidOperationException(
                    $"Schema scripts '{scripts[i - 1].Name}' and '{scripts[i].Name}' ({folder}) share version {scripts[i].Version}; give each script its own number.");
            }
        }

        return scripts;
    }

    internal static int ParseVersion(string name)
    {
        var dash = name.IndexOf('-', StringComparison.Ordinal);
        if (dash <= 0 || !int.TryParse(name.AsSpan(0, dash), System.Globalization.NumberStyles.None, null, out var version) || version <= 0)
        {
            throw new InvalidOperationException(
                $"Schema script '{name}' is not named 'NNNN-description.sql' with a positive version number NNNN.");
        }

        return version;
    }

    private static string ChecksumOf(string sql) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sql)));
}
