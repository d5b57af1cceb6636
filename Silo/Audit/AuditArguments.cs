using System.Globalization;
using System.Reflection;
using System.Text;
using Formation.Images;
using Formation.Services;
using Formation.Vms;

namespace Formation.Silo.Audit;

/// <summary>
/// The short argument summary of an audit row: what an operator needs to tell one request from another (a VM's name and
/// image, a replica count, a host name), never a payload or a secret. Strings are cut short, byte arrays are only their
/// length, parameters named like secrets are masked, and records are reduced to the fields listed here; any other record
/// shows only its type, so a field added to a contract later (perhaps a secret) never lands in the trail by accident.
/// </summary>
public static class AuditArguments
{
    public const int MaxLength = 300;

    private const int MaxValue = 64;

    private static readonly string[] SecretWords = ["secret", "password", "token", "credential", "private"];

    /// <summary>The summary of a call to <paramref name="method"/> with <paramref name="arguments"/> (in parameter order).</summary>
    public static string Summarize(MethodInfo method, IReadOnlyList<object?> arguments)
    {
        var parameters = method.GetParameters();
        var text = new StringBuilder();
        for (var i = 0; i < arguments.Count && i < parameters.Length; i++)
        {
            if (arguments[i] is not { } value)
            {
                continue;
            }

            var name = parameters[i].Name ?? $"arg{i}";
            text.Append(text.Length == 0 ? "" : " ").Append(name).Append('=').Append(IsSecret(name) ? "***" : Describe(value));
        }

        return text.Length <= MaxLength ? text.ToString() : text.ToString(0, MaxLength - 1) + "…";
    }

    /// <summary>True for a parameter whose name says it carries a secret (a public key does not).</summary>
    public static bool IsSecret(string name)
    {
        var lower = name.ToLowerInvariant();
        return !lower.StartsWith("public", StringComparison.Ordinal) && SecretWords.Any(lower.Contains);
    }

    private static string Describe(object value) => value switch
    {
        string s => Quote(s),
        byte[] bytes => $"<{bytes.Length} bytes>",
        bool b => b ? "true" : "false",
        Enum e => e.ToString(),
        TimeSpan t => t.ToString("c", CultureInfo.InvariantCulture),
        IFormattable f when value.GetType().IsPrimitive || value is decimal or Guid or DateTimeOffset or DateTime =>
            f.ToString(null, CultureInfo.InvariantCulture),
        VmSpec spec => Vm(spec),
        ServiceSpec spec => $"{{{Quote(spec.Name)} replicas={spec.Replicas?.ToString(CultureInfo.InvariantCulture) ?? "-"} {Vm(spec.Template)}}}",
        ExecRequest exec => $"{{command={(exec.Command.Count > 0 ? Quote(exec.Command[0]) : "-")} args={Math.Max(0, exec.Command.Count - 1)} tty={(exec.Tty ? "true" : "false")}}}",
        ImageBuildRequest build => $"{{formfile={Quote(build.FormfilePath)} ref={Quote(build.Reference ?? "-")}}}",
        _ => $"<{value.GetType().Name}>",
    };

    private static string Vm(VmSpec spec) =>
        $"{{{Quote(spec.Name)} image={Quote(spec.Image ?? spec.FromSnapshot ?? "-")} vcpu={spec.VCpus} mem={spec.MemoryMiB}MiB disk={spec.DiskGiB}GiB}}";

    private static string Quote(string s)
    {
        var cut = s.Length <= MaxValue ? s : s[..(MaxValue - 1)] + "…";
        return cut.Length > 0 && cut.All(c => char.IsLetterOrDigit(c) || c is '-' or '_' or '.' or '/' or ':' or '@')
            ? cut
            : "\"" + cut.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)
                .Replace("\n", "\\n", StringComparison.Ordinal).Replace("\r", "\\r", StringComparison.Ordinal) + "\"";
    }
}
