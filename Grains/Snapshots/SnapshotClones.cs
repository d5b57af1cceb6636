using Formation.Errors;
using Formation.Nodes;
using Formation.Snapshots;
using Formation.Vms;

namespace Formation.Grains.Snapshots;

/// <summary>
/// <c>form vm create --from-snapshot S</c> as a decision: which snapshot S names among the cluster's, and the clone's spec
/// (the snapshot's node, size and image, its full id). A pure function; the catalog gathers the snapshots and calls it.
/// Snapshots do not travel between nodes yet, so a clone runs where its snapshot is.
/// </summary>
public static class SnapshotClones
{
    /// <summary>
    /// The clone's spec, or an error saying what was wrong: no snapshot of that name, more than one, another node named,
    /// a node whose driver cannot load it, a size other than the snapshot's. Zero vCPUs, memory or disk mean the snapshot's.
    /// </summary>
    /// <param name="snapshots">Every snapshot the cluster's nodes hold now.</param>
    /// <param name="nodes">The cluster's nodes (for their hypervisor driver).</param>
    public static VmSpec Plan(VmSpec spec, IReadOnlyList<SnapshotInfo> snapshots, IReadOnlyList<NodeInfo> nodes)
    {
        var wanted = spec.FromSnapshot;
        if (string.IsNullOrWhiteSpace(wanted))
        {
            throw FormationException.Invalid("--from-snapshot needs a snapshot name or id; `form snapshot list` lists them.");
        }

        var matches = snapshots.Where(s => s.Matches(wanted)).ToArray();
        var found = matches switch
        {
            [] => throw FormationException.NotFound(
                $"no node holds a snapshot '{wanted}'; `form snapshot list` lists the snapshots (take one with `form vm snapshot VM --name {wanted}`)."),
            [var one] => one,
            _ => throw FormationException.Invalid(
                $"'{wanted}' names {matches.Length} snapshots ({string.Join(", ", matches.Select(m => $"{m.ShortId} on node {m.NodeId}"))}); give its id instead."),
        };

        if (spec.NodeConstraint is { } asked && asked != found.NodeId)
        {
            throw FormationException.Invalid(
                $"snapshot '{wanted}' is on node {found.NodeId}, and snapshots do not travel between nodes yet: the clone can only run there. " +
                $"Leave out --node (or use --node {found.NodeId}).");
        }

        var node = nodes.FirstOrDefault(n => n.NodeId == found.NodeId);
        if (node is not null && node.HypervisorDriver != found.Driver)
        {
            throw FormationException.Invalid(
                $"snapshot '{wanted}' was taken with the {found.Driver} driver and its node {found.NodeId} now runs VMs with {node.HypervisorDriver}, which cannot load it.");
        }

        if (spec.Image is { } image && found.Image is { } taken && image != taken)
        {
            throw FormationException.Invalid($"snapshot '{wanted}' is of a VM of image {taken}; a clone runs its snapshot's image: leave out --image.");
        }

        Require("vCPUs", spec.VCpus, found.VCpus, wanted);
        Require("MiB of memory", spec.MemoryMiB, found.MemoryMiB, wanted);
        Require("GiB of disk", spec.DiskGiB, found.DiskGiB, wanted);
        return spec with
        {
            FromSnapshot = found.Id,
            NodeConstraint = found.NodeId,
            VCpus = found.VCpus,
            MemoryMiB = found.MemoryMiB,
            DiskGiB = found.DiskGiB,
            Image = found.Image ?? spec.Image,
            ImageDigest = null,
        };
    }

    // A clone's memory and devices are the snapshot's: it cannot have another size (0: not given, take the snapshot's).
    private static void Require(string what, long given, long snapshot, string wanted)
    {
        if (given != 0 && given != snapshot)
        {
            throw FormationException.Invalid(
                $"snapshot '{wanted}' is of a VM with {snapshot} {what}; a clone has the snapshot's size: leave the option out or give {snapshot}.");
        }
    }
}
