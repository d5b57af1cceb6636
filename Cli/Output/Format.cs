using Formation.Nodes;
using Formation.Vms;

namespace Formation.Cli.Output;

/// <summary>Human formatting of sizes, ages and states.</summary>
public static class Format
{
    public static string MiB(long mib) => mib >= 10 * 1024 ? $"{mib / 1024.0:0.#} GiB" : $"{mib} MiB";

    public static string GiB(long gib) => $"{gib} GiB";

    public static string Ago(DateTimeOffset at, DateTimeOffset now)
    {
        var span = now - at;
        if (span < TimeSpan.Zero)
        {
            span = TimeSpan.Zero;
        }

        return span.TotalSeconds < 60 ? $"{span.TotalSeconds:0}s ago"
            : span.TotalMinutes < 60 ? $"{span.TotalMinutes:0}m ago"
            : span.TotalHours < 48 ? $"{span.TotalHours:0}h ago"
            : $"{span.TotalDays:0}d ago";
    }

    public static Cell StateCell(VmState state) => new(state.ToString(), state switch
    {
        VmState.Running => Ansi.Green,
        VmState.Failed or VmState.Lost => Ansi.Red,
        VmState.Paused or VmState.Stopped => Ansi.Yellow,
        _ => null,
    });

    public static Cell HealthCell(NodeHealth health) => new(health.ToString(), health switch
    {
        NodeHealth.Healthy => Ansi.Green,
        NodeHealth.Unhealthy => Ansi.Red,
        _ => Ansi.Grey,
    });

    public static string State(VmState state) => state switch
    {
        VmState.Running => "[green]Running[/]",
        VmState.Failed or VmState.Lost => $"[red]{state}[/]",
        VmState.Paused or VmState.Stopped => $"[yellow]{state}[/]",
        _ => state.ToString(),
    };

    public static string Health(NodeHealth health) => health switch
    {
        NodeHealth.Healthy => "[green]Healthy[/]",
        NodeHealth.Unhealthy => "[red]Unhealthy[/]",
        _ => "[grey]Left[/]",
    };
}
