using Formation.Errors;
using Formation.Events;
using Formation.Identity;

namespace Formation.Silo.Identity;

/// <summary>
/// Who may subscribe to which of Formation's event streams (<see cref="EventStreams"/>). A stream carries every event
/// of what it names, so a subscription is a read of all of it: the cluster-wide streams (every VM, every node, every
/// build) are for admins and the silos; a VM's own stream is for whoever may see that VM; a build session's stream is
/// named by its unguessable session key, which only the client that opened the build knows (images are shared).
/// A pure decision: the identity filter applies it to Orleans' pub/sub registration and does the owner lookup.
/// </summary>
public static class StreamAccess
{
    /// <summary>What the caller's subscription to a stream needs: nothing, refusal, or being allowed to see a VM.</summary>
    public abstract record Rule
    {
        private Rule()
        {
        }

        /// <summary>Subscribing is allowed.</summary>
        public sealed record Allowed : Rule;

        /// <summary>Subscribing is refused with <see cref="Error"/>.</summary>
        public sealed record Refused(FormationException Error) : Rule;

        /// <summary>Allowed only when the caller may see VM <see cref="VmId"/>; refused exactly as if it did not exist otherwise.</summary>
        public sealed record IfMayActOnVm(string VmId) : Rule;
    }

    private static readonly Rule.Allowed Allow = new();

    /// <summary>
    /// The rule for a subscription to stream <paramref name="ns"/>/<paramref name="key"/> by <paramref name="caller"/>
    /// (null: a client that proved nothing), where <paramref name="viaNode"/> says the proof is a node's.
    /// </summary>
    public static Rule For(string? ns, string key, Caller? caller, bool viaNode)
    {
        if (!IsFormationStream(ns) || viaNode || caller is { IsAdmin: true })
        {
            return Allow;
        }

        if (caller is null)
        {
            return new Rule.Refused(new FormationException(ErrorKind.Unauthenticated,
                $"subscribing to the '{ns}/{key}' event stream needs a proof of who you are: use a credential of this cluster " +
                "(--credential FILE, FORMATION_CREDENTIAL, or `form login --credential FILE`)."));
        }

        if (ns == EventStreams.Vm)
        {
            return new Rule.IfMayActOnVm(key);
        }

        if (ns == EventStreams.Builds && key != EventStreams.AllKey)
        {
            return Allow;
        }

        return new Rule.Refused(new FormationException(ErrorKind.PermissionDenied,
            $"the cluster-wide '{ns}/{key}' event stream carries every account's events and is for admins; account '{caller.Account}' " +
            "can follow its own VMs: `form vm events --follow` (all of them) or `form vm events VM --follow`."));
    }

    private static bool IsFormationStream(string? ns) =>
        ns is EventStreams.Vm or EventStreams.AllVms or EventStreams.Nodes or EventStreams.Builds;
}
