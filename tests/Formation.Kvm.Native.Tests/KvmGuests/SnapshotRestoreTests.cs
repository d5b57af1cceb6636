using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Formation.Kvm.Native.Machine;
using Formation.Kvm.Native.Machine.Snapshots;
using Formation.Kvm.Native.Tests.Support;

namespace Formation.Kvm.Native.Tests.KvmGuests;

/// <summary>
/// Snapshot and restore with tiny guests on /dev/kvm: the guest continues in a new VM from where it was (memory, registers,
/// exactly-once port I/O, a virtio queue's position), and snapshots that do not fit or were altered are refused with the reason.
/// </summary>
public sealed class SnapshotRestoreTests
{
    private const ulong CounterAddress = 0x300000;

    private const ushort EchoPort = 0x503, TicketPort = 0x504;

    /// <summary>
    /// Counts at 0x300000 and writes the count's low byte to the serial port; each round it also reads a ticket from
    /// <see cref="TicketPort"/> (IN) and writes it back to <see cref="EchoPort"/> (OUT), which shows what its IN returned.
    /// </summary>
    private const string CountingGuest = """
        1:  incq 0x300000
            mov $0x504, %dx
            in %dx, %eax
            mov $0x503, %dx
            out %eax, %dx
            mov 0x300000, %rax
            mov $0x3f8, %dx
            out %al, %dx
            jmp 1b
        """;

    /// <summary>Sets up virtio-rng's queue (8 entries at 0x200000/0x201000/0x202000), then asks it for 16 bytes at a time for ever, counting answers at 0x300000.</summary>
    private const string RngGuest = """
            mov $0xd0000000, %rbx
            movl $0, 0x70(%rbx)
            movl $1, 0x70(%rbx)
            movl $3, 0x70(%rbx)
            movl $1, 0x24(%rbx)
            movl $1, 0x20(%rbx)
            movl $0, 0x24(%rbx)
            movl $0, 0x20(%rbx)
            movl $0xb, 0x70(%rbx)
            movl $0, 0x30(%rbx)
            movl $8, 0x38(%rbx)
            movl $0x200000, 0x80(%rbx)
            movl $0, 0x84(%rbx)
            movl $0x201000, 0x90(%rbx)
            movl $0, 0x94(%rbx)
            movl $0x202000, 0xa0(%rbx)
            movl $0, 0xa4(%rbx)
            movl $1, 0x44(%rbx)
            movl $0xf, 0x70(%rbx)
            movq $0x204000, 0x200000
            movl $16, 0x200008
            movw $2, 0x20000c
            movw $0, 0x20000e
        2:  movzwl 0x201002, %eax
            mov %eax, %ecx
            and $7, %ecx
            movw $0, 0x201004(,%rcx,2)
            inc %eax
            movw %ax, 0x201002
            movl $0, 0x50(%rbx)
        3:  cmpw %ax, 0x202002
            jne 3b
            incq 0x300000
            jmp 2b
        """;

    private static MachineConfig Counting(MachineConfig c) => c with { InKernelIrqchip = true, Vcpus = 2 };

    private static MachineConfig WithRng(MachineConfig c) => c with { InKernelIrqchip = true, Rng = true };

    [Fact]
    public async Task SnapshotRestore_CountingGuest_ContinuesInANewVmFromTheSavedValue()
    {
        using var dir = Tools.CreateTempDir();
        byte lastSerialBefore;
        ulong saved;
        SnapshotResult result;

        // The pause lands while the vCPU is inside the handler of the 1000th IN: KVM puts the value into RAX only on the
        // vCPU's next KVM_RUN, so the snapshot must complete that IN, or the restored guest would repeat it (and read
        // ticket 1 from the new VM's port instead of ticket 1000).
        var tickets = new Tickets(blockAt: 1000);
        var echo = new RecordingPort();
        using (var first = TinyGuest.Create(CountingGuest, Counting, b => b.AddPortDevice(TicketPort, 1, tickets).AddPortDevice(EchoPort, 1, echo)))
        {
            first.Vm.Start();
            Assert.True(tickets.Blocked.Wait(TinyGuest.Timeout, TestContext.Current.CancellationToken), "the guest did not read 1000 tickets");
            var pausing = Task.Run(first.Vm.Pause, TestContext.Current.CancellationToken);
            await Task.Delay(100, TestContext.Current.CancellationToken);
            tickets.Release.Set();
            await pausing;
            saved = Counter(first);
            Assert.Equal(999u, echo.Writes.Last().Value);
            lastSerialBefore = first.Vm.Console.Tail()[^1];
            result = first.Vm.Snapshot(dir.Path);
            await first.Vm.Kill("snapshot taken");
        }

        Assert.Equal(1000ul, saved);
        Assert.Equal(64L << 20, result.MemoryBytes);
        Assert.InRange(result.MemoryDataBytes, 4096, 1 << 20); // the code, the page tables and the counter's page: not 64 MiB
        Assert.True(new FileInfo(Path.Combine(dir.Path, SnapshotFiles.MemoryFile)).Length == result.MemoryBytes);

        var echoAfter = new RecordingPort();
        using var second = TinyGuest.Create(CountingGuest, c => Counting(c) with { RestoreFrom = dir.Path },
            b => b.AddPortDevice(TicketPort, 1, new Tickets(blockAt: 0)).AddPortDevice(EchoPort, 1, echoAfter));
        Assert.Equal(saved, Counter(second)); // the memory is the snapshot's before the first instruction
        second.Vm.Start();
        await TinyGuest.WaitUntil(() => echoAfter.Writes.Count > 100, "the restored guest to count on");
        second.Vm.Pause();
        var after = echoAfter.Writes.Select(w => w.Value).ToList();

        // Exactly once: the restored guest first echoes the ticket the first VM handed out (its IN was not repeated), then
        // the new VM's tickets 1, 2, 3 ...; it counts on from 1000, and its serial output follows the first VM's.
        Assert.Equal([1000u, .. Enumerable.Range(1, 99).Select(i => (uint)i)], after.Take(100));
        Assert.True(Counter(second) > saved);
        Assert.Equal((byte)(lastSerialBefore + 1), second.Vm.Console.Tail()[0]);
        Assert.Equal(ExitReason.Killed, await second.Vm.Kill());
    }

    [Fact]
    public async Task SnapshotRestore_VirtioQueuePosition_SurvivesAndTheDeviceKeepsAnswering()
    {
        using var dir = Tools.CreateTempDir();
        ushort savedUsed;
        ulong savedAnswers;
        using (var first = TinyGuest.Create(RngGuest, WithRng))
        {
            first.Vm.Start();
            await TinyGuest.WaitUntil(() => Counter(first) > 50, "virtio-rng to answer");
            first.Vm.Pause();
            first.Vm.Snapshot(dir.Path);
            var queue = first.Vm.Virtio[0].SaveState().Queues[0];
            Assert.True(queue.Ready);
            savedUsed = queue.NextUsed;
            savedAnswers = Counter(first);

            // The snapshotted VM itself goes on after a resume, its device too.
            first.Vm.Resume();
            await TinyGuest.WaitUntil(() => Counter(first) > savedAnswers + 10, "the snapshotted guest to go on after resume");
            Assert.Null(first.Vm.Virtio[0].SaveState().FailureReason);
            await first.Vm.Kill("snapshot taken");
        }

        Assert.True(savedUsed >= 50);
        using var second = TinyGuest.Create(RngGuest, c => WithRng(c) with { RestoreFrom = dir.Path });
        Assert.Equal(savedUsed, second.Vm.Virtio[0].SaveState().Queues[0].NextUsed);
        second.Vm.Start();
        await TinyGuest.WaitUntil(() => Counter(second) > savedAnswers + 50, "the restored guest's requests to be answered");
        second.Vm.Pause();
        var state = second.Vm.Virtio[0].SaveState();
        Assert.Null(state.FailureReason);
        Assert.True((ushort)(state.Queues[0].NextUsed - savedUsed) >= 50, $"used index {state.Queues[0].NextUsed}, saved {savedUsed}");
        Assert.Equal(ExitReason.Killed, await second.Vm.Kill());
    }

    [Fact]
    public async Task Snapshot_RunningVm_IsRefusedWithTheReason()
    {
        using var dir = Tools.CreateTempDir();
        using var guest = TinyGuest.Create(CountingGuest, Counting);
        guest.Vm.Start();
        var e = Assert.Throws<InvalidOperationException>(() => guest.Vm.Snapshot(dir.Path));
        Assert.Contains("pause it first", e.Message);
        Assert.Empty(Directory.EnumerateFileSystemEntries(dir.Path));
        await guest.Vm.Kill();
    }

    [Theory]
    [InlineData("vcpus")]
    [InlineData("memory")]
    [InlineData("devices")]
    public async Task Restore_AnotherVmLayout_IsRefusedNamingTheDifference(string change)
    {
        using var dir = await SnapshotOfRngGuest();
        var (configure, expected) = change switch
        {
            "vcpus" => ((Func<MachineConfig, MachineConfig>)(c => WithRng(c) with { Vcpus = 2 }), "1 vCPUs, the config has 2"),
            "memory" => (c => WithRng(c) with { MemoryMiB = 128 }, "64 MiB of memory, the config has 128"),
            _ => (c => WithRng(c) with { Rng = false }, "1 virtio devices, the config has 0"),
        };
        var e = Assert.Throws<InvalidDataException>(() => TinyGuest.Create(RngGuest, c => configure(c) with { RestoreFrom = dir.Path }));
        Assert.Contains("another VM layout", e.Message);
        Assert.Contains(expected, e.Message);
    }

    public static TheoryData<string, string> Tampering => new()
    {
        { "vmmVersion", "restore it with the formation-vmm that took it" },
        { "formatVersion", "snapshot format 7" },
        { "regs", "vcpuStates[0].regs has 143 bytes" },
        { "mpState", "mpState 99 is not a KVM MP state" },
        { "cpuid", "incompatible CPUID leaf 0x1" },
        { "msr", "which this host's KVM does not keep" },
        { "nextUsed", "is not the used ring's" },
        { "queueSize", "queue size 4096 is larger than the device's 64" },
        { "features", "were never offered" },
        { "serial", "serial state is invalid" },
        { "unknownField", "is not a formation-vmm machine state" },
        { "missingField", "is not a formation-vmm machine state" },
    };

    [Theory]
    [MemberData(nameof(Tampering))]
    public async Task Restore_TamperedState_IsRefusedWithTheReason(string field, string expected)
    {
        using var dir = await SnapshotOfRngGuest();
        Tamper(dir.Path, state =>
        {
            var vcpu = state["vcpuStates"]![0]!;
            var virtio = state["virtio"]![0]!;
            switch (field)
            {
                case "vmmVersion":
                    state["vmmVersion"] = "0.0.1+someone-else";
                    break;
                case "formatVersion":
                    state["formatVersion"] = 7;
                    break;
                case "regs":
                    vcpu["regs"] = Convert.ToBase64String(Convert.FromBase64String((string)vcpu["regs"]!)[..143]);
                    break;
                case "mpState":
                    vcpu["mpState"] = 99;
                    break;
                case "cpuid":
                    // Leaf 1's EDX (feature bits) in the first entry for function 1: claim a CPU feature this host did not give.
                    var cpuid = Convert.FromBase64String((string)vcpu["cpuid"]!);
                    for (var at = 0; at < cpuid.Length; at += 40)
                    {
                        if (BitConverter.ToUInt32(cpuid, at) == 1)
                        {
                            cpuid[at + 24] ^= 0x10;
                            break;
                        }
                    }

                    vcpu["cpuid"] = Convert.ToBase64String(cpuid);
                    break;
                case "msr":
                    vcpu["msrs"]!.AsArray().Add(new JsonObject { ["index"] = 0x12345678u, ["value"] = 1 });
                    break;
                case "nextUsed":
                    virtio["queues"]![0]!["nextUsed"] = (int)virtio["queues"]![0]!["nextUsed"]! + 3;
                    break;
                case "queueSize":
                    virtio["queues"]![0]!["size"] = 4096;
                    break;
                case "features":
                    virtio["driverFeatures"] = 1UL << 40;
                    break;
                case "serial":
                    state["serial"]!["ier"] = 0xff;
                    break;
                case "unknownField":
                    state["extra"] = true;
                    break;
                default:
                    state.AsObject().Remove("keyboard");
                    break;
            }
        });
        var e = Assert.ThrowsAny<Exception>(() => TinyGuest.Create(RngGuest, c => WithRng(c) with { RestoreFrom = dir.Path }));
        Assert.True(e is InvalidDataException or Kvm.KvmException, e.ToString());
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public async Task Restore_DamagedStateFile_IsRefusedAsDamaged()
    {
        using var dir = await SnapshotOfRngGuest();
        var state = Path.Combine(dir.Path, SnapshotFiles.StateFile);
        var bytes = File.ReadAllBytes(state);
        bytes[bytes.Length / 2] ^= 0x01;
        File.WriteAllBytes(state, bytes);
        var e = Assert.Throws<InvalidDataException>(() => TinyGuest.Create(RngGuest, c => WithRng(c) with { RestoreFrom = dir.Path }));
        Assert.Contains("is damaged", e.Message);
    }

    [Fact]
    public async Task Restore_TruncatedMemoryFile_IsRefused()
    {
        using var dir = await SnapshotOfRngGuest();
        using (var memory = File.OpenWrite(Path.Combine(dir.Path, SnapshotFiles.MemoryFile)))
        {
            memory.SetLength(memory.Length - 4096);
        }

        var e = Assert.Throws<InvalidDataException>(() => TinyGuest.Create(RngGuest, c => WithRng(c) with { RestoreFrom = dir.Path }));
        Assert.Contains("bytes of guest memory, the VM has", e.Message);
    }

    [Fact]
    public async Task Restore_MissingFile_SaysWhichIsMissing()
    {
        using var dir = await SnapshotOfRngGuest();
        File.Delete(Path.Combine(dir.Path, SnapshotFiles.ChecksumFile));
        var e = Assert.Throws<InvalidDataException>(() => TinyGuest.Create(RngGuest, c => WithRng(c) with { RestoreFrom = dir.Path }));
        Assert.Contains($"{SnapshotFiles.ChecksumFile} is missing", e.Message);
    }

    private static ulong Counter(TinyGuest guest)
    {
        guest.Vm.Memory.TryRead(CounterAddress, out ulong value);
        return value;
    }

    private static async Task<Tools.TempDir> SnapshotOfRngGuest()
    {
        var dir = Tools.CreateTempDir();
        using var guest = TinyGuest.Create(RngGuest, WithRng);
        guest.Vm.Start();
        await TinyGuest.WaitUntil(() => Counter(guest) > 10, "virtio-rng to answer");
        guest.Vm.Pause();
        guest.Vm.Snapshot(dir.Path);
        await guest.Vm.Kill("snapshot taken");
        return dir;
    }

    /// <summary>Changes the state file and writes a matching checksum: a deliberate change, which only validation can catch.</summary>
    private static void Tamper(string directory, Action<JsonNode> change)
    {
        var path = Path.Combine(directory, SnapshotFiles.StateFile);
        var state = JsonNode.Parse(File.ReadAllText(path))!;
        change(state);
        var json = Encoding.UTF8.GetBytes(state.ToJsonString());
        File.WriteAllBytes(path, json);
        File.WriteAllText(Path.Combine(directory, SnapshotFiles.ChecksumFile), $"{Convert.ToHexStringLower(SHA256.HashData(json))}  {SnapshotFiles.StateFile}\n");
    }

    /// <summary>A port whose reads return 1, 2, 3 ...; the read of <c>blockAt</c> waits in the handler until <see cref="Release"/>.</summary>
    private sealed class Tickets(uint blockAt) : Formation.Kvm.Native.Devices.IBusDevice
    {
        private uint _next;

        public ManualResetEventSlim Blocked { get; } = new(false);

        public ManualResetEventSlim Release { get; } = new(false);

        public void Read(ulong offset, Span<byte> data)
        {
            var ticket = ++_next;
            if (ticket == blockAt)
            {
                Blocked.Set();
                Release.Wait();
            }

            System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(data, ticket);
        }

        public void Write(ulong offset, ReadOnlySpan<byte> data)
        {
        }
    }
}
