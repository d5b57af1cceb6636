using Formation.Errors;

namespace Formation.Vms;

/// <summary>Limits on what a VM may ask for, checked before anything is reserved (by the catalog, the CLI and the dashboard).</summary>
public static class VmSpecRules
{
    public const int MaxVCpus = 128;
    public const long MinMemoryMiB = 64;
    public const long MaxMemoryMiB = 1024 * 1024;
    public const long MaxDiskGiB = 64 * 1024;
    public const int MaxRequestIdLength = 64;

    /// <summary>Throws an InvalidArgument error with the first problem of <paramref name="spec"/>, in the CLI's words.</summary>
    public static void Validate(VmSpec spec)
    {
        if (Check(spec) is [var first, ..])
        {
            throw FormationException.Invalid(first.ForCli);
        }
    }

    /// <summary>Throws an InvalidArgument error with the first problem of <paramref name="spec"/>, in the HTTP API's words.</summary>
    public static void ValidateForApi(VmSpec spec)
    {
        if (Check(spec) is [var first, ..])
        {
            throw FormationException.Invalid(first.ForApi);
        }
    }

    /// <summary>Parses <c>HOSTPORT:GUESTPORT[/udp]</c> texts an HTTP API client sent; a bad one is an InvalidArgument error naming the field.</summary>
    public static PortPublish[]? ParsePublishForApi(IReadOnlyList<string>? texts)
    {
        if (texts is not { Count: > 0 })
        {
            return null;
        }

        var parsed = new PortPublish[texts.Count];
        for (var i = 0; i < parsed.Length; i++)
        {
            if (!PortPublish.TryParse(texts[i], out parsed[i], out var problem))
            {
                throw FormationException.Invalid(new VmSpecProblem(VmSpecField.Publish, "", problem).ForApi);
            }
        }

        return parsed;
    }

    /// <summary>Every problem of <paramref name="spec"/>, in field order; empty when it is valid.</summary>
    public static IReadOnlyList<VmSpecProblem> Check(VmSpec spec)
    {
        var problems = new List<VmSpecProblem>();
        if (!Names.IsDnsLabel(spec.Name))
        {
            problems.Add(new VmSpecProblem(VmSpecField.Name, "", Names.DnsLabelProblem(spec.Name, "VM name")));
        }

        if (spec.VCpus is < 1 or > MaxVCpus)
        {
            problems.Add(new VmSpecProblem(VmSpecField.VCpus, $"must be between 1 and {MaxVCpus} (got {spec.VCpus})."));
        }

        if (spec.MemoryMiB is < MinMemoryMiB or > MaxMemoryMiB)
        {
            problems.Add(new VmSpecProblem(VmSpecField.Memory, $"must be between {MinMemoryMiB} and {MaxMemoryMiB} MiB (got {spec.MemoryMiB})."));
        }

        if (spec.DiskGiB is < 0 or > MaxDiskGiB)
        {
            problems.Add(new VmSpecProblem(VmSpecField.Disk, $"must be between 0 and {MaxDiskGiB} GiB (got {spec.DiskGiB})."));
        }

        if (spec.NodeConstraint is not null && !Names.IsDnsLabel(spec.NodeConstraint))
        {
            problems.Add(new VmSpecProblem(VmSpecField.Node, "", Names.DnsLabelProblem(spec.NodeConstraint, "Node id")));
        }

        if (spec.Image is { } image && (image.Length == 0 || image.Length > 255 || image.Any(char.IsWhiteSpace)))
        {
            problems.Add(new VmSpecProblem(VmSpecField.Image, $"'{image}' is not a valid image reference (name[:tag] or a digest)."));
        }

        if (spec.Publish is { } publish && PortPublish.CheckList(publish) is { } publishProblem)
        {
            problems.Add(new VmSpecProblem(VmSpecField.Publish, "", publishProblem));
        }

        if (spec.RequestId is { } requestId && !IsRequestId(requestId))
        {
            problems.Add(new VmSpecProblem(VmSpecField.RequestId,
                $"must be 1–{MaxRequestIdLength} letters, digits, '-', '_' or '.' (got '{(requestId.Length > 80 ? requestId[..80] + "…" : requestId)}')."));
        }

        return problems;
    }

    /// <summary>An idempotency key: 1–64 ASCII letters, digits, '-', '_' or '.'.</summary>
    public static bool IsRequestId(string value) =>
        value.Length is > 0 and <= MaxRequestIdLength && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');
}
