using Formation.Display;
using MudBlazor;

namespace Formation.Dashboard.Components.Shared;

/// <summary>The theme color of a tone (the CLI maps the same tones to terminal colors).</summary>
public static class ToneColors
{
    public static Color Of(Tone tone) => tone switch
    {
        Tone.Good => Color.Success,
        Tone.Bad => Color.Error,
        Tone.Caution => Color.Warning,
        Tone.Muted => Color.Dark,
        _ => Color.Info,
    };
}
