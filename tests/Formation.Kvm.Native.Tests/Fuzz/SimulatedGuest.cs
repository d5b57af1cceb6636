using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Formation.Kvm.Native.Bindings;
using Formation.Kvm.Native.Interop;
using Formation.Kvm.Native.Devices.Virtio;
using Formation.Kvm.Native.Machine;
using Formation.Kvm.Native.Memory;
using Formation.Kvm.Native.Tests.Support;
using Formation.Kvm.Native.Vcpu;

namespace Formation.Kvm.Native.Tests.Fuzz;

/// <summary>
/// A VM without /dev/kvm: the devices formation-vmm wires (<see cref="MachineDevices"/>: UART, i8042, virtio-blk,
/// virtio-net, virtio-rng) over a byte-array guest memory, driven by synthetic KVM exits through the VMM's own
/// <see cref="ExitDispatcher"/>. Guest RAM and the kvm_run page each sit between guard zones that nothing may touch.
/// </summary>
internal sealed unsafe class SimulatedGuest : IDisposable
{
    public const int GuestSize = 4 << 20, Guard = 64 * 1024, RunPage = 4096;
    public const byte GuardByte = 0xcc;

    private readonly byte[] _ram = GC.AllocateArray<byte>(GuestSize + 2 * Guard, pinned: true);
    private readonly byte[] _runBacking = GC.AllocateArray<byte>(RunPage + 2 * Guard, pinned: true);
    private readonly ExitDispatcher _dispatcher;
    private readonly Tools.TempDir _dir = Tools.CreateTempDir();

    public SimulatedGuest()
    {
        _ram.AsSpan(0, Guard).Fill(GuardByte);
        _ram.AsSpan(Guard + GuestSize).Fill(GuardByte);
        _runBacking.AsSpan(0, Guard).Fill(GuardByte);
        _runBacking.AsSpan(Guard + RunPage).Fill(GuardByte);
        Memory = GuestMemory.FromArray(_ram, 0, Guard, GuestSize);

        // Safe: the array is pinned (never moves) and the view covers only the page between its guard zones.
        Run = new kvm_run((byte*)Marshal.UnsafeAddrOfPinnedArrayElement(_runBacking, Guard), RunPage);

        var disk = new byte[256 * 1024];
        Random.Shared.NextBytes(disk);
        Disk = new MemoryBlockBackend(disk);
        Net = new VirtioNet(Memory, NetBackend, [2, 0, 0, 0, 0, 1]);
        Rng = new VirtioRng(Memory);
        Block = new VirtioBlock(Memory, Disk, "fuzz");
        Vsock = new VirtioVsock(Memory, VsockTestGuest.GuestCid, UnixListener.Bind(VsockSocket, "vsock socket"), VsockSocket,
            connectTimeout: TimeSpan.FromSeconds(2));
        Devices = MachineDevices.Create(Memory, Console, gsi => Lines[gsi] = new RecordingLine(), () => Resets++, [Block, Net, Rng, Vsock]);
        Net.Start();
        Vsock.Start();
        _dispatcher = new ExitDispatcher(Devices.PortBus, Devices.MmioBus);
    }

    public GuestMemory Memory { get; }

    public kvm_run Run { get; }

    public MachineDevices Devices { get; }

    public MemoryBlockBackend Disk { get; }

    public QueueNetBackend NetBackend { get; } = new();

    public VirtioBlock Block { get; }

    public VirtioNet Net { get; }

    public VirtioRng Rng { get; }

    public VirtioVsock Vsock { get; }

    /// <summary>The vsock device's hybrid Unix socket.</summary>
    public string VsockSocket => _dir.File("vsock.sock");

    public MemoryStream Console { get; } = new();

    /// <summary>The interrupt line of each GSI the devices use.</summary>
    public Dictionary<uint, RecordingLine> Lines { get; } = [];

    public ExitCounters Counters { get; } = new();

    public int Resets { get; private set; }

    /// <summary>A port-I/O exit: <paramref name="count"/> items of <paramref name="size"/> bytes at <paramref name="dataOffset"/> in kvm_run.</summary>
    public VcpuExitKind Io(bool write, byte size, ushort port, uint count, ulong dataOffset, ReadOnlySpan<byte> data)
    {
        Run.Set(kvm_run.exit_reason_offset, (uint)KvmExitReason.KVM_EXIT_IO);
        Run.Set(kvm_run.io_direction_offset, write ? kvm_run.KVM_EXIT_IO_OUT : kvm_run.KVM_EXIT_IO_IN);
        Run.Set(kvm_run.io_size_offset, size);
        Run.Set(kvm_run.io_port_offset, port);
        Run.Set(kvm_run.io_count_offset, count);
        Run.Set(kvm_run.io_data_offset_offset, dataOffset);
        var payload = Run.IoData;
        data[..Math.Min(data.Length, payload.Length)].CopyTo(payload);
        return _dispatcher.Dispatch(Run, Counters);
    }

    /// <summary>An MMIO exit of <paramref name="length"/> bytes (KVM reports 1 to 8; anything else must be ignored).</summary>
    public VcpuExitKind Mmio(bool write, ulong address, uint length, ulong value)
    {
        Run.Set(kvm_run.exit_reason_offset, (uint)KvmExitReason.KVM_EXIT_MMIO);
        Run.Set(kvm_run.mmio_phys_addr_offset, address);
        Run.Set(kvm_run.mmio_len_offset, length);
        Run.Set(kvm_run.mmio_is_write_offset, (byte)(write ? 1 : 0));
        Run.Set(kvm_run.mmio_data_offset, value);
        return _dispatcher.Dispatch(Run, Counters);
    }

    public void OutByte(ushort port, byte value) => Io(true, 1, port, 1, 1024, [value]);

    public byte InByte(ushort port)
    {
        Io(false, 1, port, 1, 1024, []);
        return Run.IoData[0];
    }

    public void MmioWrite32(ulong address, uint value) => Mmio(true, address, 4, value);

    public uint MmioRead32(ulong address)
    {
        Mmio(false, address, 4, 0);
        return BinaryPrimitives.ReadUInt32LittleEndian(Run.mmio_data);
    }

    /// <summary>The first guard byte that changed, or null: a device wrote outside guest RAM or outside kvm_run.</summary>
    public string? DamagedGuard()
    {
        foreach (var (name, array, start, length) in new[]
        {
            ("below guest RAM", _ram, 0, Guard), ("above guest RAM", _ram, Guard + GuestSize, Guard),
            ("below kvm_run", _runBacking, 0, Guard), ("above kvm_run", _runBacking, Guard + RunPage, Guard),
        })
        {
            var bad = array.AsSpan(start, length).IndexOfAnyExcept(GuardByte);
            if (bad >= 0)
            {
                return $"{name}, byte {bad} of the guard zone is 0x{array[start + bad]:x2}";
            }
        }

        return null;
    }

    public void Dispose()
    {
        Net.Dispose();
        Vsock.Dispose();
        Memory.Dispose();
        _dir.Dispose();
    }
}
