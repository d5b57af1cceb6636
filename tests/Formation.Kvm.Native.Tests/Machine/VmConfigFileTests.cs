using Formation.Kvm.Native.Machine;
using Formation.Kvm.Native.Tests.Support;

namespace Formation.Kvm.Native.Tests.Machine;

public sealed class VmConfigFileTests
{
    [Fact]
    public void Load_ResolvesRelativePathsAndKeepsDefaults()
    {
        using var dir = Tools.CreateTempDir();
        File.WriteAllText(dir.File("vm.json"), """
            { "kernel": "vmlinux", "vcpus": 2, "disks": [ { "path": "root.img", "readOnly": true } ], "controlSocket": "vm.sock" }
            """);
        var config = VmConfigFile.Load(dir.File("vm.json"));
        Assert.Equal(dir.File("vmlinux"), config.Kernel);
        Assert.Equal(dir.File("root.img"), config.Disks[0].Path);
        Assert.Equal(256, config.MemoryMiB);
        Assert.True(config.Rng);
        var machine = config.ToMachineConfig();
        Assert.Equal(2, machine.Vcpus);
        Assert.True(machine.Disks[0].ReadOnly);
    }

    [Fact]
    public void Load_UnknownProperty_IsAnErrorNamingIt()
    {
        using var dir = Tools.CreateTempDir();
        File.WriteAllText(dir.File("vm.json"), """{ "kernel": "k", "memoryMB": 512 }""");
        var e = Assert.Throws<ArgumentException>(() => VmConfigFile.Load(dir.File("vm.json")));
        Assert.Contains("memoryMB", e.Message);
    }

    [Fact]
    public void ToMachineConfig_BadCompat_SaysAllowedValues()
    {
        var e = Assert.Throws<ArgumentException>(() => new VmConfigFile { Compat = "maybe" }.ToMachineConfig());
        Assert.Contains("\"auto\"", e.Message);
    }

    [Fact]
    public void Validate_MissingKernel_SaysWhatToSet()
    {
        var e = Assert.Throws<ArgumentException>(() => MachineBuilder.Validate(new MachineConfig()));
        Assert.Contains("kernel", e.Message);
    }
}
