using Formation.Silo.Hypervisors;
using Formation.Silo.Hypervisors.Qemu;
using Formation.Silo.Platform;
using Formation.Vms;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Formation.Silo.Tests.Hypervisors;

/// <summary>
/// The qemu command line of a VM with added devices: each at the slot its id fixes (what a hot-plug used), with the ids,
/// block nodes and netdevs the QMP removal names, and a balloon only where the launch says the VM has one.
/// </summary>
public sealed class QemuDeviceArgumentsTests : IDisposable
{
    private readonly TestDirectory _data = new("qemu-device-args");

    [Fact]
    public void Arguments_AddedDisksAndNics_AtTheirFixedSlots()
    {
        var directory = VmDirectory.For(_data.Path, "vm-devargs");
        var launch = Launch() with
        {
            Disks = [new VmDisk("disk3", 64), new VmDisk("disk1", 10240)],
            Nics = [new LaunchNic("nic2", "ftdevargsn2", "02:fa:00:00:00:02", "10.1.0.9")],
            Balloon = true,
        };

        var args = string.Join('\n', Driver().Arguments(launch, directory));

        Assert.Contains("virtio-balloon-pci,id=balloon0", args);
        Assert.Contains($"{{\"driver\":\"raw\",\"node-name\":\"blk-disk3\",\"file\":{{\"driver\":\"file\",\"filename\":\"{directory.File("disk3.img")}\"}}}}", args);
        Assert.Contains("virtio-blk-pci,id=disk3,drive=blk-disk3,serial=disk3,addr=0x12", args);
        Assert.Contains("virtio-blk-pci,id=disk1,drive=blk-disk1,serial=disk1,addr=0x10", args);
        Assert.Contains("tap,id=net-nic2,ifname=ftdevargsn2,script=no,downscript=no", args);
        Assert.Contains("virtio-net-pci,id=nic2,netdev=net-nic2,mac=02:fa:00:00:00:02,addr=0x19,romfile=", args);
    }

    [Fact]
    public void Arguments_LaunchRecordFromBeforeDevices_HasNoBalloonAndNoAddedDevices()
    {
        var args = Driver().Arguments(Launch(), VmDirectory.For(_data.Path, "vm-devold"));

        Assert.DoesNotContain(args, a => a.Contains("balloon", StringComparison.Ordinal) || a.Contains("node-name", StringComparison.Ordinal) || a.Contains("addr=0x", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("disk1", "0x10")]
    [InlineData("disk8", "0x17")]
    public void DiskSlot_FollowsTheId(string id, string slot) => Assert.Equal(slot, DeviceSlots.Disk(id));

    [Theory]
    [InlineData("disk9")]
    [InlineData("disk0")]
    [InlineData("nic1")]
    [InlineData("root")]
    public void DiskSlot_NotAnAddedDiskId_Throws(string id) => Assert.Throws<ArgumentException>(() => DeviceSlots.Disk(id));

    [Fact]
    public void NicSlots_FollowTheDiskSlots() =>
        Assert.Equal(["0x18", "0x19", "0x1a"], new[] { "nic1", "nic2", "nic3" }.Select(DeviceSlots.Nic));

    private QemuDriver Driver() =>
        new(Options.Create(new QemuOptions { Accelerator = "tcg", Jail = new VmJailOptions { Enabled = false } }), HostFacts.Probe(_data.Path), NullLogger<QemuDriver>.Instance);

    private static VmLaunch Launch() => new("vm-devargs", "devargs", "qemu", 1, 128, "console=ttyS0", false, true, null, [], true, 1);

    public void Dispose() => _data.Dispose();
}
