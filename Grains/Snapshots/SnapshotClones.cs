using Formation.Errors;
using Formation.Nodes;
using Formation.Snapshots;
using Formation.Vms;

namespace Formation.Grains.Snapshots;

/// <summary>
/// <c>form vm create --from-snapshot S</c> as a decision: which snapshot S names among the cluster's, and the clone's spec
/// (its node, size and image, the snapshot's full id). A pure function; the catalog gathers the snapshots and calls it.
/// A clone runs where a copy of its snapshot is, or on the node the user names (of the snapshot's driver), which then
/// fetches the snapshot before it restores it.
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

        // A snapshot copied to other nodes is listed once per node: one snapshot, several holders.
        var matches = snapshots.Where(s => s.Matches(wanted)).ToArray();
        var distinct = matches.DistinctBy(s => s.Id).ToArray();
        var found = distinct switch
        {
            [] => throw FormationException.NotFound(
                $"no node holds a snapshot '{wanted}'; `form snapshot list` lists the snapshots (take one with `form vm snapshot VM --name {wanted}`)."),
            [var one] => one,
            _ => throw FormationException.Invalid(
                $"'{wanted}' names {distinct.Length} snapshots ({string.Join(", ", distinct.Select(m => $"{m.ShortId} on node {m.NodeId}"))}); give its id instead."),
        };

        var target = spec.NodeConstraint is { } asked ? RequireLoader(found, wanted, asked, nodes) : Holder(found, wanted, matches, nodes);
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
            NodeConstraint = target,
            VCpus = found.VCpus,
            MemoryMiB = found.MemoryMiB,
            DiskGiB = found.DiskGiB,
            Image = found.Image ?? spec.Image,
            ImageDigest = null,
        };
    }

    /// <summary>A node the user named: it fetches the snapshot if it holds no copy, so it only needs the snapshot's driver.</summary>
    private static string RequireLoader(SnapshotInfo found, string wanted, string asked, IReadOnlyList<NodeInfo> nodes)
    {
        var node = nodes.FirstOrDefault(n => n.NodeId == asked) ?? throw FormationException.NotFound(
            $"there is no node '{asked}'; `form node list` lists the nodes.");
        return node.HypervisorDriver == found.Driver
            ? asked
            : throw FormationException.Invalid(
                $"snapshot '{wanted}' was taken with the {found.Driver} driver and node {asked} runs VMs with {node.HypervisorDriver}, which cannot load it; " +
                $"pick a node with the {found.Driver} driver (`form node list`).");
    }

    /// <summary>No node named: the clone runs where a copy of the snapshot is, on a node whose driver can load it.</summary>
    private static string Holder(SnapshotInfo found, string wanted, IReadOnlyList<SnapshotInfo> copies, IReadOnlyList<NodeInfo> nodes)
    {
        var holders = copies.Where(c => c.Id == found.Id).Select(c => c.NodeId).ToArray();
        foreach (var holder in holders)
        {
            if (nodes.FirstOrDefault(n => n.NodeId == holder) is not { } node || node.HypervisorDriver == found.Driver)
            {
                return holder;
            }
        }

        var first = nodes.First(n => n.NodeId == holders[0]);
        throw FormationException.Invalid(
            $"snapshot '{wanted}' was taken with the {found.Driver} driver and its node {first.NodeId} now runs VMs with {first.HypervisorDriver}, which cannot load it.");
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
