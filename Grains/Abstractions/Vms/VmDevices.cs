using System.Globalization;
using Formation.Errors;

namespace Formation.Vms;

/// <summary>
/// Rules for devices added to running VMs (<c>form vm disk|nic add|remove</c>, <c>form vm resize</c>): size texts, ids,
/// how many a VM may have. Pure, shared by the CLI (checks before the call) and the VM grain (checks again).
/// </summary>
public static class VmDevices
{
    /// <summary>Extra disks one VM may have (each takes a PCI slot of its own; see the qemu driver's slot plan).</summary>
    public const int MaxDisks = 8;

    /// <summary>Extra network interfaces one VM may have (each takes a TAP, a PCI slot and an address of its node's pool).</summary>
    public const int MaxNics = 3;

    public const long MinDiskMiB = 1;

    public const long MaxDiskMiB = VmSpecRules.MaxDiskGiB * 1024;

    /// <summary>The accepted size form, quoted in errors.</summary>
    public const string SizeForm = "a whole number with a unit M, G or T (MiB, GiB, TiB), e.g. 512M or 10G";

    public const string DiskPrefix = "disk";

    public const string NicPrefix = "nic";

    /// <summary>Parses <c>512M</c>, <c>10G</c>, <c>1T</c> (binary units; <c>MiB</c>/<c>GiB</c>/<c>TiB</c> and lower case too) into MiB.</summary>
    public static bool TryParseSize(string? text, out long mib, out string problem)
    {
        mib = 0;
        problem = "";
        var t = text?.Trim() ?? "";
        var digits = 0;
        while (digits < t.Length && char.IsAsciiDigit(t[digits]))
        {
            digits++;
        }

        var unit = t[digits..].ToUpperInvariant();
        long factor = unit switch
        {
            "M" or "MB" or "MIB" => 1,
            "G" or "GB" or "GIB" => 1024,
            "T" or "TB" or "TIB" => 1024 * 1024,
            _ => 0,
        };
        if (digits == 0 || factor == 0)
        {
            problem = $"'{text}' is not a size: use {SizeForm}";
            return false;
        }

        // Too many digits for a long is too large, not malformed.
        if (!long.TryParse(t.AsSpan(0, digits), NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number > MaxDiskMiB / factor)
        {
            problem = $"'{text}' is larger than the {MaxDiskMiB / (1024 * 1024)} TiB a disk may have";
            return false;
        }

        if (number * factor < MinDiskMiB)
        {
            problem = $"'{text}' is empty: a disk needs at least {MinDiskMiB} MiB";
            return false;
        }

        mib = number * factor;
        return true;
    }

    /// <summary>The size in MiB, or an InvalidArgument error saying what is wrong.</summary>
    public static long ParseSize(string? text) =>
        TryParseSize(text, out var mib, out var problem) ? mib : throw FormationException.Invalid(problem);

    /// <summary>The id a new disk gets: <c>disk1</c>, <c>disk2</c>, ... the lowest not in use; Conflict at <see cref="MaxDisks"/>.</summary>
    public static string NextDiskId(VmSpec spec, string vmName) =>
        NextId(DiskPrefix, spec.Disks.Select(d => d.Id), MaxDisks, vmName, "disks");

    /// <summary>The id a new network interface gets: <c>nic1</c>, ...; Conflict at <see cref="MaxNics"/>.</summary>
    public static string NextNicId(VmSpec spec, string vmName) =>
        NextId(NicPrefix, spec.Nics.Select(n => n.Id), MaxNics, vmName, "network interfaces");

    /// <summary>The 1-based index in <c>disk3</c> / <c>nic2</c>, or 0 when <paramref name="id"/> is not of that kind.</summary>
    public static int IndexOf(string prefix, string id) =>
        id.StartsWith(prefix, StringComparison.Ordinal) && int.TryParse(id.AsSpan(prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var n)
            && n > 0 && id == prefix + n.ToString(CultureInfo.InvariantCulture) ? n : 0;

    /// <summary>
    /// What <c>form vm resize --memory</c> may ask: a balloon gives memory back and returns it, so any size from
    /// <see cref="VmSpecRules.MinMemoryMiB"/> up to the memory the VM booted with. Null when allowed, else the reason.
    /// </summary>
    public static string? ResizeProblem(long bootMiB, long targetMiB)
    {
        if (targetMiB < VmSpecRules.MinMemoryMiB)
        {
            return $"{targetMiB} MiB is below the {VmSpecRules.MinMemoryMiB} MiB a VM needs";
        }

        if (targetMiB > bootMiB)
        {
            return $"{targetMiB} MiB is more than the {bootMiB} MiB the VM booted with: resize shrinks memory through a balloon and grows it " +
                $"back up to the boot size; growing beyond it needs memory hotplug, which Formation does not do yet (stop the VM and create it with more --memory)";
        }

        return null;
    }

    private static string NextId(string prefix, IEnumerable<string> taken, int max, string vmName, string what)
    {
        var used = taken.Select(id => IndexOf(prefix, id)).ToHashSet();
        if (used.Count(i => i > 0) >= max)
        {
            throw FormationException.Conflict($"VM {vmName} has {max} added {what}, the most a VM may have; remove one first.");
        }

        for (var i = 1; ; i++)
        {
            if (!used.Contains(i))
            {
                return prefix + i.ToString(CultureInfo.InvariantCulture);
            }
        }
    }
}
