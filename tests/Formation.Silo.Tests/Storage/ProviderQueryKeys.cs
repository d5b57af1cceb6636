using System.Reflection;
using System.Text.RegularExpressions;

namespace Formation.Silo.Tests.Storage;

/// <summary>
/// The query keys the Orleans ADO.NET providers in use require, read from the provider assemblies
/// themselves (not copied by hand), so an Orleans upgrade that adds a key fails a test.
/// </summary>
internal static partial class ProviderQueryKeys
{
    public static IReadOnlyList<string> Clustering { get; } =
        RequiredKeys(typeof(Orleans.Runtime.MembershipService.AdoNetClusteringTable).Assembly);

    public static IReadOnlyList<string> Reminders { get; } =
        RequiredKeys(typeof(Orleans.Configuration.AdoNetReminderTableOptions).Assembly);

    /// <summary>The grain storage keys, from the provider's own initialization query.</summary>
    public static IReadOnlyList<string> Persistence { get; } =
        QueryKeyPattern().Matches(Orleans.Storage.AdoNetGrainStorage.DefaultInitializationQuery).Select(m => m.Groups[1].Value).ToArray();

    /// <summary>Every non-public instance property of the provider's DbStoredQueries must exist as a key.</summary>
    private static string[] RequiredKeys(Assembly assembly)
    {
        var type = assembly.GetTypes().Single(t => t.Name == "DbStoredQueries");
        var keys = type.GetProperties(BindingFlags.Instance | BindingFlags.NonPublic).Select(p => p.Name).ToArray();
        Assert.NotEmpty(keys);
        return keys;
    }

    [GeneratedRegex("QueryKey = '(\\w+)'")]
    private static partial Regex QueryKeyPattern();
}
