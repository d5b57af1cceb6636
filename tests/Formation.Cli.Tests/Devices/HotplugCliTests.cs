using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Formation.Cli.Tests.Deploy;

namespace Formation.Cli.Tests.Devices;

/// <summary>
/// <c>form vm disk|nic add|remove</c> and <c>form vm resize</c> against a real silo on the qemu driver (TCG here) with a
/// tiny guest, seen from inside the guest through <c>form vm exec</c>: a hot-added disk appears (found by its serial),
/// takes data, keeps it across a snapshot → restore and a stop → start, and is gone after its removal; a hot-added NIC
/// appears as eth1 with the MAC the node gave it and survives the restart; a restarted silo re-adopts the VM and can still
/// remove them; the balloon shrinks the guest's MemTotal, the
/// restart applies it again, and growing past the boot size is refused saying why. One VM for all of it (TCG is slow).
/// </summary>
[Trait("Category", "Slow")]
public sealed partial class HotplugCliTests : IAsyncLifetime
{
    private const string NodeId = "cli-hotplug";
    private const string Data = "hotplug-data-42";
    private readonly TestDirectory _scratch = new("hotplug-cli");
    private SiloProcess? _silo;

    [Fact]
    public async Task DiskNicBalloon_RunningQemuGuest_SeenInTheGuestAndKeptAcrossRestoreAndRestart()
    {
        TestEnvironment.RequireBuilder();
        TestEnvironment.RequireQemu();
        TestEnvironment.RequireFormationKernel();
        _scratch.Write("app/Formfile", "NAME idler\nFROM tiny\nENTRYPOINT [\"/bin/sh\", \"-c\", \"while :; do sleep 1; done\"]\n");
        _silo = await SiloProcess.StartAsync(new SiloProcessOptions(NodeId, Path.Combine(_scratch.Path, "data")) { Driver = "qemu" });
        var gw = _silo.Gateway;
        Ok(await Form("pack", "build", Path.Combine(_scratch.Path, "app"), "--gateway", gw));
        Ok(await Form("vm", "create", "--name", "h1", "--vcpus", "1", "--memory", "256", "--image", "idler", "--gateway", gw));
        var bootMemTotal = await MemTotalKiBAsync();

        // Wrong requests first: nothing is plugged in.
        Refused(await Form("vm", "disk", "add", "h1", "--size", "10X", "--gateway", gw), "is not a size");
        Refused(await Form("vm", "disk", "add", "h1", "--size", "60T", "--gateway", gw), "does not fit on node");
        Refused(await Form("vm", "disk", "remove", "h1", "disk1", "--gateway", gw), "has no added disk 'disk1'");
        Refused(await Form("vm", "resize", "h1", "--memory", "512M", "--gateway", gw), "needs memory hotplug");

        // A disk: the guest sees it at once and writes to it.
        var add = await Form("vm", "disk", "add", "h1", "--size", "64M", "--json", "--gateway", gw);
        Ok(add);
        using (var disk = JsonDocument.Parse(add.Out))
        {
            Assert.Equal("disk1", disk.RootElement.GetProperty("id").GetString());
        }

        // Its file is the VM's like its root disk: 0600, owned by the VM's own uid when the VM is jailed.
        var diskFile = Assert.Single(Directory.EnumerateFiles(Path.Combine(_scratch.Path, "data"), "disk1.img", SearchOption.AllDirectories));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(diskFile));
        var uidFile = Path.Combine(Path.GetDirectoryName(diskFile)!, "uid");
        if (File.Exists(uidFile))
        {
            var owner = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("stat", ["-c", "%u", diskFile]) { RedirectStandardOutput = true })!;
            Assert.Equal(File.ReadAllText(uidFile).Trim(), (await owner.StandardOutput.ReadToEndAsync()).Trim());
        }

        var device = await WaitForDiskAsync("disk1");
        Ok(await Exec("sh", "-c", $"printf {Data} > /dev/{device} && sync"));
        Assert.Contains("disk1", (await Form("vm", "show", "h1", "--gateway", gw)).Out);

        // A NIC: eth1 with the node's MAC.
        var nicAdd = await Form("vm", "nic", "add", "h1", "--json", "--gateway", gw);
        Ok(nicAdd);
        string mac;
        using (var nic = JsonDocument.Parse(nicAdd.Out))
        {
            Assert.Equal("nic1", nic.RootElement.GetProperty("id").GetString());
            mac = nic.RootElement.GetProperty("mac").GetString()!;
            Assert.False(string.IsNullOrEmpty(nic.RootElement.GetProperty("address").GetString()));
        }

        Assert.Equal(mac, (await WaitForAsync("cat /sys/class/net/eth1/address", "eth1")).Trim());

        // The balloon: MemTotal drops by what was taken; query-balloon (the answer's actualMiB) says 128.
        var resize = await Form("vm", "resize", "h1", "--memory", "128M", "--json", "--gateway", gw);
        Ok(resize);
        using (var memory = JsonDocument.Parse(resize.Out))
        {
            Assert.Equal(128, memory.RootElement.GetProperty("actualMiB").GetInt64());
        }

        var shrunk = await MemTotalKiBAsync();
        Assert.InRange(bootMemTotal - shrunk, 120 * 1024, 136 * 1024);

        // Snapshot → restore: the restored QEMU is started with the added devices at their slots, and the disk keeps its data.
        Ok(await Form("vm", "snapshot", "h1", "--name", "hs", "--gateway", gw));
        var restore = await Form("vm", "restore", "h1", "hs", "--gateway", gw);
        Ok(restore);
        Assert.Contains("restored from snapshot hs", restore.Out);
        Assert.Equal(Data, await ReadDiskAsync("disk1"));

        // Stop → start: a fresh boot with the spec's devices; the balloon is set again once the guest is ready.
        Ok(await Form("vm", "stop", "h1", "--gateway", gw));
        Ok(await Form("vm", "start", "h1", "--gateway", gw));
        Assert.Equal(Data, await ReadDiskAsync("disk1"));
        Assert.Equal(mac, (await WaitForAsync("cat /sys/class/net/eth1/address", "eth1")).Trim());
        await WaitForMemTotalBelowAsync(bootMemTotal - 100 * 1024);

        // A silo restart (killed: the VM runs on): the new silo re-adopts the VM from its launch record, which lists the added
        // devices, so they can still be removed; the spec still lists them.
        var options = _silo.Options;
        await _silo.KillAsync();
        await _silo.DisposeAsync();
        _silo = await SiloProcess.StartAsync(options);
        gw = _silo.Gateway;
        await WaitForRunningAsync("h1");
        Assert.Contains("disk1", (await Form("vm", "show", "h1", "--gateway", gw)).Out);
        Assert.Equal(Data, await ReadDiskAsync("disk1"));

        // Removal: the guest lets go and the device is gone; growing back to the boot size is allowed.
        Ok(await Form("vm", "disk", "remove", "h1", "disk1", "--gateway", gw));
        Assert.Equal("", (await Exec("sh", "-c", SerialScript("disk1"))).Out.Trim());
        Ok(await Form("vm", "nic", "remove", "h1", "nic1", "--gateway", gw));
        Assert.NotEqual(0, (await Exec("test", "-e", "/sys/class/net/eth1")).ExitCode);
        Ok(await Form("vm", "resize", "h1", "--memory", "256M", "--gateway", gw));
        Assert.DoesNotContain("disk1", (await Form("vm", "show", "h1", "--gateway", gw)).Out);
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(_scratch.Path, "data"), "disk1.img", SearchOption.AllDirectories));
    }

    private async Task WaitForRunningAsync(string vm)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!(await Form("vm", "show", vm, "--gateway", _silo!.Gateway)).Out.Contains("Running", StringComparison.Ordinal))
        {
            Assert.True(DateTime.UtcNow < deadline, $"VM {vm} is not Running after the silo restart");
            await Task.Delay(500);
        }
    }

    /// <summary>The guest's block device whose serial is <paramref name="serial"/> (vda, vdb, ...), once it is there.</summary>
    private async Task<string> WaitForDiskAsync(string serial) => (await WaitForAsync(SerialScript(serial), serial)).Trim();

    private static string SerialScript(string serial) =>
        $"for d in /sys/block/vd*; do [ \"$(cat $d/serial 2>/dev/null)\" = {serial} ] && basename $d; done; true";

    private async Task<string> ReadDiskAsync(string serial)
    {
        var device = await WaitForDiskAsync(serial);
        var read = await Exec("head", "-c", Data.Length.ToString(CultureInfo.InvariantCulture), "/dev/" + device);
        Ok(read);
        return read.Out;
    }

    private async Task<long> MemTotalKiBAsync()
    {
        var out_ = await WaitForAsync("grep MemTotal /proc/meminfo", "MemTotal");
        return long.Parse(MemTotal().Match(out_).Groups[1].Value, CultureInfo.InvariantCulture);
    }

    private async Task WaitForMemTotalBelowAsync(long kib)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        long now;
        while ((now = await MemTotalKiBAsync()) >= kib)
        {
            Assert.True(DateTime.UtcNow < deadline, $"MemTotal stayed at {now} kB, not below {kib} kB");
            await Task.Delay(500);
        }
    }

    /// <summary>Runs <paramref name="script"/> in the guest until it succeeds with non-empty output (the agent and devices take a moment).</summary>
    private async Task<string> WaitForAsync(string script, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (true)
        {
            var run = await Exec("sh", "-c", script);
            if (run.ExitCode == 0 && run.Out.Trim().Length > 0)
            {
                return run.Out;
            }

            Assert.True(DateTime.UtcNow < deadline, $"the guest never showed {what}: {run}");
            await Task.Delay(500);
        }
    }

    private Task<FormRun> Exec(params string[] command) => Form(["vm", "exec", "h1", "--gateway", _silo!.Gateway, "--timeout", "20", "--", .. command]);

    private static void Ok(FormRun run) => Assert.True(run.ExitCode == 0, run.ToString());

    private static void Refused(FormRun run, string reason)
    {
        Assert.True(run.ExitCode != 0, run.ToString());
        Assert.Contains(reason, run.Error);
    }

    private static Task<FormRun> Form(params string[] args) => FormRun.ProcessAsync(args);

    [GeneratedRegex(@"MemTotal:\s+(\d+) kB")]
    private static partial Regex MemTotal();

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        await QemuTestSilo.DisposeAsync(_silo, _scratch.Path, NodeId);
        _scratch.Dispose();
    }
}
