using System.Collections.Concurrent;
using System.Reflection;
using Formation.Identity;

namespace Formation.Silo.Identity;

/// <summary>
/// Which grain interface methods are <see cref="NodeOnlyAttribute"/> (marked themselves or through their interface),
/// remembered per method: the identity filter asks on every call, and reflection is too slow for that.
/// </summary>
public static class NodeOnlyMethods
{
    private static readonly ConcurrentDictionary<MethodInfo, bool> Known = new();

    /// <summary>True when only a node's proof may call <paramref name="method"/>; false for null (not a grain method call).</summary>
    public static bool IsNodeOnly(MethodInfo? method) =>
        method is not null && Known.GetOrAdd(method, static m =>
            m.IsDefined(typeof(NodeOnlyAttribute), inherit: false) || m.DeclaringType?.IsDefined(typeof(NodeOnlyAttribute), inherit: false) == true);
}
