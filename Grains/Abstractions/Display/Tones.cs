using Formation.Images;
using Formation.Nodes;
using Formation.Services;
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

    public static Tone Of(RolloutState state) => state switch
    {
        RolloutState.Steady => Tone.Good,
        RolloutState.Failed => Tone.Bad,
        RolloutState.Rolling => Tone.Caution,
        _ => Tone.Muted,
    };

    public static Tone Of(ReplicaHealth health) => health switch
    {
        ReplicaHealth.Passing => Tone.Good,
        ReplicaHealth.Failing or ReplicaHealth.TimedOut => Tone.Bad,
        ReplicaHealth.Pending => Tone.Caution,
        _ => Tone.Neutral,
    };
}
