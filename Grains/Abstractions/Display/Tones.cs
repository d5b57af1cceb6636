using Formation.Images;
using Formation.Nodes;
using Formation.Vms;

namespace Formation.Display;

/// <summary>The one mapping of states to tones, used by every client.</summary>
public static class Tones
{
    public static Tone Of(VmState state) => state switch
    {
        VmState.Running => Tone.Good,
        VmState.Failed or VmState.Lost => Tone.Bad,
        VmState.Paused or VmState.Stopped => Tone.Caution,
        VmState.Deleted => Tone.Muted,
        _ => Tone.Neutral,
    };

    public static Tone Of(NodeHealth health) => health switch
    {
        NodeHealth.Healthy => Tone.Good,
        NodeHealth.Unhealthy => Tone.Bad,
        _ => Tone.Muted,
    };

    public static Tone Of(ImageBuildState state) => state switch
    {
        ImageBuildState.Ready => Tone.Good,
        ImageBuildState.Failed => Tone.Bad,
        ImageBuildState.Building => Tone.Caution,
        _ => Tone.Neutral,
    };
}
