using Formation.Errors;
using Formation.Grains.Snapshots;
using Formation.Nodes;
using Formation.Snapshots;
using Formation.Vms;

namespace Formation.Grains.Tests.Snapshots;

/// <summary>
/// The clone plan: the snapshot named among the cluster's, the clone put on its node with its size and image, and every
/// wrong request refused saying what to do. (The real path, a qemu clone answering at its own address: QemuCloneTests.)
/// </summary>
public sealed class SnapshotClonesTests
{
    private static readonly SnapshotInfo Web = Snapshot("web-snap", "a1b2c3d4e5f6" + new string('0', 52), "node-1", "qemu");

    private static readonly NodeInfo[] Nodes = [Node("node-1", "qemu"), Node("node-2", "qemu")];

    [Fact]
    public void Plan_ByName_PutsTheCloneOnTheSnapshotsNodeWithItsSizeAndImage()
    {
        var plan = SnapshotClones.Plan(Clone("web-snap"), [Web, Snapshot("other", "ff" + new string('1', 62), "node-2", "qemu")], Nodes);

        Assert.Equal((Web.Id, "node-1", 2, 512L, 3L, "web:1"), (plan.FromSnapshot, plan.NodeConstraint, plan.VCpus, plan.MemoryMiB, plan.DiskGiB, plan.Image));
        Assert.Equal("web-clone", plan.Name);
    }

    [Fact]
    public void Plan_ByIdPrefixAndTheSameNodeAndSize_IsTaken()
    {
        var plan = SnapshotClones.Plan(Clone(Web.ShortId) with { NodeConstraint = "node-1", VCpus = 2, MemoryMiB = 512 }, [Web], Nodes);

        Assert.Equal(Web.Id, plan.FromSnapshot);
    }

    [Fact]
    public void Plan_UnknownSnapshot_IsNotFoundSayingWhereToLook()
    {
        var ex = Assert.Throws<FormationException>(() => SnapshotClones.Plan(Clone("nope"), [Web], Nodes));

        Assert.Equal(ErrorKind.NotFound, ex.Kind);
        Assert.Contains("no node holds a snapshot 'nope'", ex.Message);
        Assert.Contains("form snapshot list", ex.Message);
    }

    [Fact]
    public void Plan_AnotherNodeOfTheSnapshotsDriver_PutsTheCloneThere_WhichFetchesIt()
    {
        var plan = SnapshotClones.Plan(Clone("web-snap") with { NodeConstraint = "node-2" }, [Web], Nodes);

        Assert.Equal((Web.Id, "node-2"), (plan.FromSnapshot, plan.NodeConstraint));
    }

    [Fact]
    public void Plan_ANodeOfAnotherDriverOrNoNode_IsRefusedSayingWhichToPick()
    {
        var nodes = Nodes.Append(Node("node-3", "kvm")).ToArray();

        var driver = Assert.Throws<FormationException>(() => SnapshotClones.Plan(Clone("web-snap") with { NodeConstraint = "node-3" }, [Web], nodes));
        var missing = Assert.Throws<FormationException>(() => SnapshotClones.Plan(Clone("web-snap") with { NodeConstraint = "node-9" }, [Web], nodes));

        Assert.Equal(ErrorKind.InvalidArgument, driver.Kind);
        Assert.Contains("node node-3 runs VMs with kvm, which cannot load it; pick a node with the qemu driver", driver.Message);
        Assert.Equal(ErrorKind.NotFound, missing.Kind);
        Assert.Contains("there is no node 'node-9'", missing.Message);
    }

    [Fact]
    public void Plan_ASnapshotCopiedToTwoNodes_IsOneSnapshot_AndTheCloneGoesWhereACopyIsOfItsDriver()
    {
        var nodes = new[] { Node("node-1", "kvm"), Node("node-2", "qemu") }; // node-1 changed its driver since
        var copy = Web with { NodeId = "node-2" };

        var plan = SnapshotClones.Plan(Clone("web-snap"), [Web, copy], nodes);

        Assert.Equal((Web.Id, "node-2"), (plan.FromSnapshot, plan.NodeConstraint));
    }

    [Fact]
    public void Plan_NodeNowRunsAnotherDriver_IsRefusedNamingBoth()
    {
        var kvm = Snapshot("kvm-snap", "bb" + new string('2', 62), "node-2", "kvm");

        var ex = Assert.Throws<FormationException>(() => SnapshotClones.Plan(Clone("kvm-snap"), [kvm], Nodes));

        Assert.Equal(ErrorKind.InvalidArgument, ex.Kind);
        Assert.Contains("taken with the kvm driver", ex.Message);
        Assert.Contains("runs VMs with qemu", ex.Message);
    }

    [Fact]
    public void Plan_OtherMemoryOrImage_IsRefusedSayingTheSnapshotsSize()
    {
        var memory = Assert.Throws<FormationException>(() => SnapshotClones.Plan(Clone("web-snap") with { MemoryMiB = 1024 }, [Web], Nodes));
        var image = Assert.Throws<FormationException>(() => SnapshotClones.Plan(Clone("web-snap") with { Image = "db:2" }, [Web], Nodes));

        Assert.Contains("512 MiB of memory", memory.Message);
        Assert.Contains("image web:1", image.Message);
    }

    [Fact]
    public void Plan_NameOnTwoNodes_IsAmbiguousAndAsksForTheId()
    {
        var twin = Snapshot("web-snap", "cc" + new string('3', 62), "node-2", "qemu");

        var ex = Assert.Throws<FormationException>(() => SnapshotClones.Plan(Clone("web-snap"), [Web, twin], Nodes));

        Assert.Contains("names 2 snapshots", ex.Message);
        Assert.Contains("give its id", ex.Message);
    }

    private static VmSpec Clone(string snapshot) => new("web-clone", 0, 0, 0, null, null, FromSnapshot: snapshot);

    private static SnapshotInfo Snapshot(string name, string id, string nodeId, string driver) =>
        new(id, name, "vm-src", "web", nodeId, driver, 2, 512, 3, "web:1", DateTimeOffset.UnixEpoch, 1, 1);

    private static NodeInfo Node(string id, string driver) =>
        new(id, id, 4, 8192, 100, false, "-", driver, "-", "", "10.0.0.1:30000", new NodeCapacity(16, 8192, 100), DateTimeOffset.UnixEpoch, "test");
}
