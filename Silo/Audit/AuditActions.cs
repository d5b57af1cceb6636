using System.Collections.Concurrent;
using System.Reflection;
using Formation.Audit;

namespace Formation.Silo.Audit;

/// <summary>
/// What the audit filter knows about a grain method, worked out once per method: whether calls to it are recorded, and
/// the action name a row shows (<c>IVmCatalogGrain.CreateVmAsync</c> → <c>VmCatalog.CreateVm</c>).
/// </summary>
public static class AuditActions
{
    private static readonly ConcurrentDictionary<MethodInfo, string?> Recorded = new();

    /// <summary>The action name when calls to <paramref name="method"/> are recorded ([Mutating], not quiet); else null.</summary>
    public static string? Of(MethodInfo method) => Recorded.GetOrAdd(method, static m =>
        m.GetCustomAttribute<MutatingAttribute>() is { Quiet: false } ? NameOf(m) : null);

    public static string NameOf(MethodInfo method)
    {
        var type = method.DeclaringType?.Name ?? "?";
        if (type.Length > 1 && type[0] == 'I' && char.IsUpper(type[1]))
        {
            type = type[1..];
        }

        type = type.EndsWith("Grain", StringComparison.Ordinal) && type.Length > 5 ? type[..^5] : type;
        var name = method.Name.EndsWith("Async", StringComparison.Ordinal) && method.Name.Length > 5 ? method.Name[..^5] : method.Name;
        return type + "." + name;
    }
}
