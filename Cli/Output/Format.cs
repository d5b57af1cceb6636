using Formation.Display;
using Formation.Nodes;
using Formation.Vms;

namespace Formation.Cli.Output;

/// <summary>Terminal colors for states (the tones and units themselves are the contracts' <see cref="Tones"/> and <see cref="Units"/>).</summary>
public static class Format
{
    public static Cell StateCell(VmState state) => new(state.ToString(), Color(Tones.Of(state)));

    public static Cell HealthCell(NodeHealth health) => new(health.ToString(), Color(Tones.Of(health)));

    public static string State(VmState state) => Markup(state.ToString(), Tones.Of(state));

    /// <summary>The terminal color of a tone, or null for none.</summary>
    public static string? Color(Tone tone) => tone switch
    {
        Tone.Good => Ansi.Green,
        Tone.Bad => Ansi.Red,
        Tone.Caution => Ansi.Yellow,
        Tone.Muted => Ansi.Grey,
        _ => null,
    };

    private static string Markup(string text, Tone tone) => tone switch
    {
        Tone.Good => $"[green]{text}[/]",
        Tone.Bad => $"[red]{text}[/]",
        Tone.Caution => $"[yellow]{text}[/]",
        Tone.Muted => $"[grey]{text}[/]",
        _ => text,
    };
}
