using System.Text;

namespace Formation.Silo.Platform;

/// <summary>
/// nftables tables owned by the silo (guests' egress, published ports, build steps' egress): each is loaded as one
/// ruleset text that replaces the table atomically, and deleted as a whole.
/// </summary>
public static class HostNft
{
    /// <summary>The lines that make a ruleset replace <paramref name="table"/> atomically: create it empty, delete it, then the body.</summary>
    public static string Replacing(string family, string table) => $"table {family} {table}\ndelete table {family} {table}\n";

    /// <summary>Loads <paramref name="ruleset"/> (<c>nft -f -</c>); throws naming <paramref name="table"/> when nft refuses it.</summary>
    public static async Task LoadAsync(string table, string ruleset, CancellationToken cancellationToken)
    {
        var result = await ProcessRunner.RunAsync("nft", ["-f", "-"], null, 20, TimeSpan.FromSeconds(30), cancellationToken,
            writeStdin: (s, ct) => s.WriteAsync(Encoding.ASCII.GetBytes(ruleset), ct).AsTask());
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"nft could not load table {table}: {string.Join(" | ", result.OutputTail)} (is the Debian package nftables installed?)");
        }
    }

    /// <summary>Deletes the table if it exists.</summary>
    public static Task DeleteAsync(string family, string table, CancellationToken cancellationToken) =>
        ProcessRunner.RunAsync("nft", ["delete", "table", family, table], null, 5, TimeSpan.FromSeconds(30), cancellationToken);

    /// <summary>The names of this host's tables of <paramref name="family"/> that start with <paramref name="prefix"/>.</summary>
    public static async Task<IReadOnlyList<string>> TablesAsync(string family, string prefix, CancellationToken cancellationToken)
    {
        var lines = new List<string>();
        var result = await ProcessRunner.RunAsync("nft", ["list", "tables", family], lines.Add, 1000, TimeSpan.FromSeconds(30), cancellationToken);
        if (result.ExitCode != 0)
        {
            return [];
        }

        return [.. lines.Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(p => p is ["table", _, var name] && name.StartsWith(prefix, StringComparison.Ordinal)).Select(p => p[2])];
    }
}
