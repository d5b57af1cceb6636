using Formation.Kvm.Native.Machine;
using Formation.Kvm.Native.Tests.Support;

namespace Formation.Kvm.Native.Tests.Machine;

public sealed class VmConfigFileTests
{
    [Fact]
    public void Load_ResolvesRelativePathsAndKeepsDefaults()
    {
        using var dir = Tools.CreateTempDir();
        File.WriteAllText(dir.File("vm.json"), VmmProtocol.SerializeConfig(new VmmConfig
        {
            Kernel = "vmlinux", Vcpus = 2, Disks = [new DiskConfig("root.img", ReadOnly: true)], ControlSocket = "vm.sock",
        }));
        var config = VmConfigFile.Load(dir.File("vm.json"));
        Assert.Equal(dir.File("vmlinux"), config.Kernel);
        Assert.Equal(dir.File("root.img"), config.Disks[0].Path);
        Assert.Equal(dir.File("vm.sock"), config.ControlSocket);
        Assert.Equal(256, config.MemoryMiB);
        Assert.True(config.Rng);
        var machine = config.ToMachineConfig();
        Assert.Equal(2, machine.Vcpus);
        Assert.True(machine.Disks[0].ReadOnly);
    }

    [Fact]
    public void Load_UnknownProperty_IsAnErrorNamingFileAndProperty()
    {
        using var dir = Tools.CreateTempDir();
        File.WriteAllText(dir.File("vm.json"), """{ "kernel": "k", "memoryMB": 512 }""");
        var e = Assert.Throws<ArgumentException>(() => VmConfigFile.Load(dir.File("vm.json")));
        Assert.Contains("memoryMB", e.Message);
        Assert.Contains(dir.File("vm.json"), e.Message);
    }

    [Fact]
    public void Load_BadCompat_SaysAllowedValues()
    {
        using var dir = Tools.CreateTempDir();
        File.WriteAllText(dir.File("vm.json"), """{ "kernel": "k", "compat": "maybe" }""");
        var e = Assert.Throws<ArgumentException>(() => VmConfigFile.Load(dir.File("vm.json")));
        Assert.Contains("\"maybe\"", e.Message);
        Assert.Contains("\"auto\", \"on\", \"off\"", e.Message);
    }

    [Fact]
    public void ToMachineConfig_CarriesEveryField()
    {
        var config = new VmmConfig
        {
            Kernel = "/k", Initrd = "/i", Cmdline = "console=ttyS0 quiet", Vcpus = 3, MemoryMiB = 512,
            Disks = [new DiskConfig("/d", true, "root")], Nets = [new NetConfig("tap0", "02:00:00:00:00:01")], Rng = false,
            Compat = CompatMode.Off, MpTable = false, Vsock = new VsockConfig(3, "/v.sock"),
        };
        var machine = config.ToMachineConfig();
        Assert.Equal(
            new MachineConfig
            {
                KernelPath = "/k", InitrdPath = "/i", CommandLine = "console=ttyS0 quiet", Vcpus = 3, MemoryMiB = 512,
                Disks = config.Disks, Nets = config.Nets, Rng = false, Compat = CompatMode.Off, MpTable = false, Vsock = config.Vsock,
            },
            machine);
    }

    [Fact]
    public void Validate_MissingKernel_SaysWhatToSet()
    {
        var e = Assert.Throws<ArgumentException>(() => MachineBuilder.Validate(new MachineConfig()));
        Assert.Contains("kernel", e.Message);
    }

    [Fact]
    public void Load_Vsock_ResolvesItsSocketAndIsOffByDefault()
    {
        using var dir = Tools.CreateTempDir();
        File.WriteAllText(dir.File("vm.json"), """{ "kernel": "k", "vsock": { "guestCid": 3, "socket": "vsock.sock" } }""");
        Assert.Equal(new VsockConfig(3, dir.File("vsock.sock")), VmConfigFile.Load(dir.File("vm.json")).Vsock);
        File.WriteAllText(dir.File("vm.json"), """{ "kernel": "k" }""");
        Assert.Null(VmConfigFile.Load(dir.File("vm.json")).Vsock);
    }

    [Theory]
    [InlineData("""{ "guestCid": 2, "socket": "v.sock" }""", "guestCid must be between 3 and 4294967294 (got 2)")]
    [InlineData("""{ "guestCid": 4294967295, "socket": "v.sock" }""", "guestCid must be between 3 and 4294967294")]
    [InlineData("""{ "guestCid": 3, "socket": "" }""", "socket must name the Unix socket")]
    [InlineData("""{ "guestCid": 3 }""", "socket")]
    [InlineData("""{ "guestCid": 3, "socket": "v.sock", "port": 1 }""", "port")]
    public void Load_BadVsock_SaysWhatIsWrong(string vsock, string expected)
    {
        using var dir = Tools.CreateTempDir();
        File.WriteAllText(dir.File("vm.json"), $$"""{ "kernel": "k", "vsock": {{vsock}} }""");
        var e = Assert.Throws<ArgumentException>(() => VmConfigFile.Load(dir.File("vm.json")));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Load_VsockSocketPathTooLong_SaysSo()
    {
        using var dir = Tools.CreateTempDir();
        var socket = "/" + new string('s', 120);
        File.WriteAllText(dir.File("vm.json"), $$"""{ "kernel": "k", "vsock": { "guestCid": 3, "socket": "{{socket}}" } }""");
        var e = Assert.Throws<ArgumentException>(() => VmConfigFile.Load(dir.File("vm.json")));
        Assert.Contains("longer than the 107 bytes", e.Message);
    }
}
