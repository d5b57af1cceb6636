using System.Text.RegularExpressions;

namespace Formation.Formfiles;

/// <summary>VCPU, MEM, DISK, GPU.</summary>
internal sealed partial class FormfileParserSession
{
    [GeneratedRegex(@"^(\d{1,12})\s*([A-Za-z]*)$")]
    private static partial Regex SizePattern();

    private void ParseVcpu(DirectiveArgs a)
    {
        var raw = a.Raw;
        if (!TryParseInt(raw, out var vcpu) || vcpu is < FormfileResources.MinVcpu or > FormfileResources.MaxVcpu)
        {
            Error(a.PositionOf(a.Start), FormfileDiagnosticCodes.InvalidValue,
                $"{a.Keyword} must be a whole number from {FormfileResources.MinVcpu} to {FormfileResources.MaxVcpu}, got '{Shorten(raw)}'",
                "e.g. VCPU 2");
            return;
        }

        if (FirstUse(a))
        {
            _vcpu = vcpu;
        }
    }

    private void ParseMemory(DirectiveArgs a)
    {
        var raw = a.Raw;
        var mb = ParseSize(raw, unit => unit switch
        {
            "" or "M" or "MB" or "MIB" => 1L,
            "G" or "GB" or "GIB" => 1024L,
            _ => 0L,
        });
        if (mb is null or < FormfileResources.MinMemoryMiB or > FormfileResources.MaxMemoryMiB)
        {
            Error(a.PositionOf(a.Start), FormfileDiagnosticCodes.InvalidValue,
                $"{a.Keyword} must be megabytes from {FormfileResources.MinMemoryMiB} to {FormfileResources.MaxMemoryMiB} (a number, optionally with M or G), got '{Shorten(raw)}'",
                "e.g. MEM 2048 or MEM 2G");
            return;
        }

        if (FirstUse(a))
        {
            _memoryMb = (int)mb.Value;
        }
    }

    private void ParseDisk(DirectiveArgs a)
    {
        var raw = a.Raw;
        var gb = ParseSize(raw, unit => unit switch
        {
            "" or "G" or "GB" or "GIB" => 1L,
            "T" or "TB" or "TIB" => 1024L,
            _ => 0L,
        });
        if (gb is null or < FormfileResources.MinDiskGiB or > FormfileResources.MaxDiskGiB)
        {
            Error(a.PositionOf(a.Start), FormfileDiagnosticCodes.InvalidValue,
                $"{a.Keyword} must be gigabytes from {FormfileResources.MinDiskGiB} to {FormfileResources.MaxDiskGiB} (a number, optionally with G or T), got '{Shorten(raw)}'",
                "e.g. DISK 5");
            return;
        }

        if (FirstUse(a))
        {
            _diskGb = (int)gb.Value;
        }
    }

    /// <summary>A number with an optional unit; the unit's multiplier comes from <paramref name="multiplier"/> (0 = unknown unit).</summary>
    private static long? ParseSize(string raw, Func<string, long> multiplier)
    {
        var match = SizePattern().Match(raw);
        if (!match.Success)
        {
            return null;
        }

        var factor = multiplier(match.Groups[2].Value.ToUpperInvariant());
        return factor == 0 ? null : long.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) * factor;
    }

    private void ParseGpu(DirectiveArgs a)
    {
        if (!SingleToken(a, "a GPU model with an optional count", out var token))
        {
            return;
        }

        var value = token.Value;
        var colon = value.IndexOf(':');
        var model = (colon >= 0 ? value[..colon] : value).ToUpperInvariant();
        var count = 1;
        if (!GpuRequest.KnownModels.Contains(model))
        {
            var nearest = Suggestions.Nearest(model, GpuRequest.KnownModels);
            Error(a.PositionOf(token.Start), FormfileDiagnosticCodes.InvalidValue,
                $"unknown GPU model '{Shorten(model)}'; known models are {string.Join(", ", GpuRequest.KnownModels)}",
                nearest is null ? "e.g. GPU H100:2" : $"did you mean '{nearest}'?");
            return;
        }

        if (colon >= 0 && (!TryParseInt(value[(colon + 1)..], out count) || count is < 1 or > FormfileResources.MaxGpuCount))
        {
            Error(a.PositionOf(token.Start + colon + 1), FormfileDiagnosticCodes.InvalidValue,
                $"GPU count must be a whole number from 1 to {FormfileResources.MaxGpuCount}, got '{Shorten(value[(colon + 1)..])}'",
                "e.g. GPU H100:2");
            return;
        }

        _gpus.Add(new GpuRequest(model, count));
    }
}
