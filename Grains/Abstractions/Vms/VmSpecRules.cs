using Formation.Errors;

namespace Formation.Vms;

/// <summary>Limits on what a VM may ask for, checked before anything is reserved.</summary>
public static class VmSpecRules
{
    public const int MaxVCpus = 128;
    public const long MinMemoryMiB = 64;
    public const long MaxMemoryMiB = 1024 * 1024;
    public const long MaxDiskGiB = 64 * 1024;

    public static void Validate(VmSpec spec)
    {
        Names.RequireDnsLabel(spec.Name, "VM name");
        if (spec.VCpus is < 1 or > MaxVCpus)
        {
            throw FormationException.Invalid($"--vcpus must be between 1 and {MaxVCpus} (got {spec.VCpus}).");
        }

        if (spec.MemoryMiB is < MinMemoryMiB or > MaxMemoryMiB)
        {
            throw FormationException.Invalid($"--memory must be between {MinMemoryMiB} and {MaxMemoryMiB} MiB (got {spec.MemoryMiB}).");
        }

        if (spec.DiskGiB is < 0 or > MaxDiskGiB)
        {
            throw FormationException.Invalid($"--disk must be between 0 and {MaxDiskGiB} GiB (got {spec.DiskGiB}).");
        }

        if (spec.NodeConstraint is not null)
        {
            Names.RequireDnsLabel(spec.NodeConstraint, "Node id");
        }

        if (spec.Image is { } image && (image.Length == 0 || image.Length > 255 || image.Any(char.IsWhiteSpace)))
        {
            throw FormationException.Invalid($"--image '{image}' is not a valid image reference (name[:tag] or a digest).");
        }
    }
}
