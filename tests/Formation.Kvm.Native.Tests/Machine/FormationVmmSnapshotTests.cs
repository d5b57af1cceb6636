using System.Buffers.Binary;
using System.Diagnostics;
using Formation.Kvm.Native.Machine.Snapshots;
using Formation.Kvm.Native.Tests.Support;

namespace Formation.Kvm.Native.Tests.Machine;

/// <summary>
/// Snapshot and restore through the real formation-vmm process, jailed as the kvm driver runs it (--run-as and the
/// seccomp allow-list): the jailed VMM writes the snapshot, a new jailed VMM restores it and the guest counts on.
/// </summary>
public sealed class FormationVmmSnapshotTests
{
    private const uint VmUid = 1_100_065_001;
    private const long CounterOffset = 0x300000; // guest-physical 0x300000 is at this offset of the memory file (RAM starts at 0)
    private static string Vmm => Path.Combine(AppContext.BaseDirectory, "formation-vmm");

    [Fact]
    public async Task JailedVmm_SnapshotThenRestoreInANewJailedVmm_GuestCountsOnFromTheSavedValue()
    {
        Prerequisites.RequireKvm("formation-vmm creates its VM on /dev/kvm");
        TinyGuest.SkipUnlessAvailable();
        Prerequisites.Require(Environment.UserName == "root", "--run-as (the jail the kvm driver uses) needs root to leave");
        using var dir = Tools.CreateTempDir();
        File.SetUnixFileMode(dir.Path, (UnixFileMode)0b111_001_001); // 0711: the VM's uid may pass through to its snapshot directories
        var code = GuestAssembler.Assemble("""
            1:  incq 0x300000
                jmp 1b
            """);
        File.WriteAllBytes(dir.File("vmlinux"), KernelImages.Elf(0x1000000, code, 0x1000, 0x1000000));
        var first = SnapshotDirectory(dir, "snap1");
        var second = SnapshotDirectory(dir, "snap2");

        WriteConfig(dir, "vm1.json", new VmmConfig { Kernel = "vmlinux", ControlSocket = "vm1.sock", PidFile = "vm1.pid", MemoryMiB = 64 });
        var result = await RunAndSnapshot(dir, "vm1", first);
        Assert.Equal(64L << 20, result.MemoryBytes);
        Assert.InRange(result.MemoryDataBytes, 4096, 1 << 20);
        var saved = Counter(first);
        Assert.True(saved > 0);

        // The restoring VMM needs no kernel: everything comes from the snapshot.
        WriteConfig(dir, "vm2.json", new VmmConfig { RestoreFrom = "snap1", ControlSocket = "vm2.sock", PidFile = "vm2.pid", MemoryMiB = 64 });
        await RunAndSnapshot(dir, "vm2", second);
        Assert.True(Counter(second) > saved, $"the restored guest's counter {Counter(second)} did not pass the saved {saved}");
        Assert.Contains("exit status 14", File.ReadAllText(dir.File("vm2.log")));
    }

    [Fact]
    public void RestoreFrom_MissingDirectory_IsAUsageErrorNamingIt()
    {
        using var dir = Tools.CreateTempDir();
        WriteConfig(dir, "vm.json", new VmmConfig { RestoreFrom = "nowhere", MemoryMiB = 64 });
        var psi = new ProcessStartInfo(Vmm) { RedirectStandardError = true, ArgumentList = { "--config", dir.File("vm.json"), "--no-setsid" } };
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.Equal((int)ExitReason.UsageError, p.ExitCode);
        Assert.Contains($"snapshot directory {dir.File("nowhere")} does not exist", stderr);
    }

    /// <summary>Runs the VM of <paramref name="name"/>.json jailed for a moment, pauses it, snapshots it into <paramref name="into"/> and kills it.</summary>
    private static async Task<SnapshotResult> RunAndSnapshot(Tools.TempDir dir, string name, string into)
    {
        var socket = dir.File($"{name}.sock");
        var psi = new ProcessStartInfo(Vmm)
        {
            ArgumentList = { "--config", dir.File($"{name}.json"), "--no-setsid", "--log", dir.File($"{name}.log"), "--run-as", $"{VmUid}:{VmUid}" },
        };
        using var vmm = Process.Start(psi)!;
        try
        {
            await TinyGuest.WaitUntil(() => File.Exists(socket) && File.Exists(dir.File($"{name}.log")) && File.ReadAllText(dir.File($"{name}.log")).Contains("jail:"), "the jail");
            Assert.Contains("Seccomp:\t2", File.ReadAllText($"/proc/{vmm.Id}/status"));
            await Task.Delay(300, TestContext.Current.CancellationToken);
            Assert.Equal(MachineState.Paused, (await ControlSocket.SendAsync(socket, new PauseRequest())).State);
            var result = await VmmControlClient.SendAsync(socket, new SnapshotRequest(into), TestContext.Current.CancellationToken);
            Assert.Equal(ExitReason.Killed, (await ControlSocket.SendAsync(socket, new KillRequest())).ExitReason);
            await vmm.WaitForExitAsync(TestContext.Current.CancellationToken);
            Assert.Equal((int)ExitReason.Killed, vmm.ExitCode); // not 128 + 31: writing the snapshot stayed inside the allow-list
            return result;
        }
        finally
        {
            if (!vmm.HasExited)
            {
                vmm.Kill();
                vmm.WaitForExit();
            }
        }
    }

    /// <summary>An empty directory the jailed VMM (the VM's uid) may write, as the silo's snapshot store hands it over.</summary>
    private static string SnapshotDirectory(Tools.TempDir dir, string name)
    {
        var path = dir.File(name);
        Directory.CreateDirectory(path);
        Tools.Run("chown", $"{VmUid}:{VmUid}", path);
        return path;
    }

    private static void WriteConfig(Tools.TempDir dir, string name, VmmConfig config) =>
        File.WriteAllText(dir.File(name), VmmProtocol.SerializeConfig(config));

    private static ulong Counter(string snapshot)
    {
        using var memory = File.OpenHandle(Path.Combine(snapshot, SnapshotFiles.MemoryFile));
        Span<byte> value = stackalloc byte[8];
        RandomAccess.Read(memory, value, CounterOffset);
        return BinaryPrimitives.ReadUInt64LittleEndian(value);
    }
}
