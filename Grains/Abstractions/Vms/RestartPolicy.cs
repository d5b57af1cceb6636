namespace Formation.Vms;

/// <summary>What the cluster does when a VM stops without being asked to.</summary>
[GenerateSerializer]
[Alias("formation.restart-policy")]
public enum RestartPolicy
{
    /// <summary>Leave it Stopped or Failed.</summary>
    Never = 0,

    /// <summary>Boot it again when it crashed or its process died (not when the guest powered off).</summary>
    OnFailure = 1,

    /// <summary>Boot it again whenever it stops without a stop request, power-off included.</summary>
    Always = 2,
}
