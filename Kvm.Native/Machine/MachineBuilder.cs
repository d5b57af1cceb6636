using System.Security.Cryptography;
using Formation.Kvm.Native.Arch;
using Formation.Kvm.Native.Bindings;
using Formation.Kvm.Native.Boot;
using Formation.Kvm.Native.Devices;
using Formation.Kvm.Native.Devices.Virtio;
using Formation.Kvm.Native.Interop;
using Formation.Kvm.Native.Kvm;
using Formation.Kvm.Native.Memory;
using Formation.Vmm.Protocol;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Formation.Kvm.Native.Machine;

/// <summary>
/// Builds a <see cref="VirtualMachine"/> from a <see cref="MachineConfig"/>: VM and irqchip, guest RAM,
/// devices (UART, i8042, virtio-mmio blk/net/rng/vsock), the kernel and its tables, vCPUs in 64-bit mode.
/// Anything that fails is undone before the exception leaves.
/// </summary>
public sealed partial class MachineBuilder(MachineConfig config)
{
    private readonly List<(ulong Start, ulong Length, IBusDevice Device)> _extraPorts = [];
    private readonly List<(ulong Start, ulong Length, IBusDevice Device)> _extraMmio = [];
    private ILogger _logger = NullLogger.Instance;
    private string? _consoleLog;
    private ConsoleLogCap? _consoleLogCap;

    public MachineBuilder WithLogger(ILogger logger)
    {
        _logger = logger;
        return this;
    }

    /// <summary>Appends console output to <paramref name="path"/>, keeping at most what <paramref name="cap"/> allows (default 16 MiB).</summary>
    public MachineBuilder WithConsoleLog(string? path, ConsoleLogCap? cap = null)
    {
        _consoleLog = path;
        _consoleLogCap = cap;
        return this;
    }

    /// <summary>Adds a port-I/O device (tests: exit ports, probes).</summary>
    public MachineBuilder AddPortDevice(ulong start, ulong length, IBusDevice device)
    {
        _extraPorts.Add((start, length, device));
        return this;
    }

    public MachineBuilder AddMmioDevice(ulong start, ulong length, IBusDevice device)
    {
        _extraMmio.Add((start, length, device));
        return this;
    }

    public VirtualMachine Build()
    {
        Validate(config);
        var owned = new List<IDisposable>();
        KvmSystem? kvm = null;
        KvmVm? vm = null;
        GuestMemory? memory = null;
        ConsoleHub? console = null;
        var vcpus = new List<KvmVcpu>();
        try
        {
            kvm = KvmSystem.Open(config.KvmPath);
            var pvm = config.Compat switch
            {
                CompatMode.On => true,
                CompatMode.Off => false,
                _ => HostProbe.IsNestedPvm(),
            };
            var snapshot = config.RestoreFrom is { } from ? ReadSnapshot(from, pvm) : null;
            vm = kvm.CreateVm();
            vm.SetTssAddr(Layout.TssAddress);
            vm.SetIdentityMapAddr(Layout.IdentityMapAddress);
            if (config.InKernelIrqchip)
            {
                vm.CreateIrqchip();
                vm.CreatePit2();
            }

            var memoryBytes = (ulong)config.MemoryMiB << 20;
            IReadOnlyList<(GuestAddress, ulong)> layout = [.. Layout.RamRanges(memoryBytes).Select(r => (new GuestAddress(r.Start), r.Size))];
            memory = snapshot is null
                ? GuestMemory.Allocate(layout)
                : GuestMemory.MapFile(Path.Combine(config.RestoreFrom!, Snapshots.SnapshotFiles.MemoryFile), layout);
            for (var i = 0; i < memory.Regions.Count; i++)
            {
                var region = memory.Regions[i];
                vm.SetUserMemoryRegion((uint)i, region.Start.Value, region.Size, region.HostAddress);
            }

            var logger = _logger;
            console = new ConsoleHub(_consoleLog, _consoleLogCap, message => logger.LogWarning("{Message}", message));
            var virtio = new List<IVirtioDevice>();
            var nets = new List<VirtioNet>();
            foreach (var disk in config.Disks)
            {
                var backend = RawFileBackend.Open(disk.Path, disk.ReadOnly);
                owned.Add(backend);
                virtio.Add(new VirtioBlock(memory, backend, disk.Serial ?? Path.GetFileName(disk.Path)));
            }

            foreach (var net in config.Nets)
            {
                var device = new VirtioNet(memory, new TapBackend(Tap.Open(net.Tap)), ParseMac(net.Mac));
                owned.Add(device);
                virtio.Add(device);
                nets.Add(device);
            }

            if (config.Rng)
            {
                virtio.Add(new VirtioRng(memory));
            }

            VirtioVsock? vsock = null;
            if (config.Vsock is { } vsockConfig)
            {
                // Bound here, as root and before the jail: the seccomp allow-list has no bind or listen.
                var listener = UnixListener.Bind(vsockConfig.Socket, "vsock socket");
                vsock = new VirtioVsock(memory, vsockConfig.GuestCid, listener, vsockConfig.Socket, _logger);
                owned.Add(vsock);
                virtio.Add(vsock);
            }

            VirtualMachine? machine = null;
            IInterruptLine Irq(uint gsi) => config.InKernelIrqchip ? new KvmInterruptLine(vm, gsi) : NullInterruptLine.Instance;
            var devices = MachineDevices.Create(memory, console, Irq,
                () => machine?.RequestStop(ExitReason.Reset, "the guest reset the CPU through the i8042 controller"), virtio);
            nets.ForEach(n => n.Start());
            vsock?.Start();
            foreach (var (start, length, device) in _extraPorts)
            {
                devices.PortBus.Insert(start, length, device);
            }

            foreach (var (start, length, device) in _extraMmio)
            {
                devices.MmioBus.Insert(start, length, device);
            }

            var supported = kvm.GetSupportedCpuid();
            var cpuid = new List<kvm_cpuid_entry2[]>();
            if (snapshot is not null)
            {
                RestoreDevices(snapshot, devices);
                for (var i = 0; i < config.Vcpus; i++)
                {
                    var vcpu = vm.CreateVcpu((uint)i);
                    vcpus.Add(vcpu);
                    cpuid.Add(CpuidBuilder.Build(supported, vcpu.Id, config.Vcpus, pvm));
                }

                RestoreMachine(snapshot, kvm, vm, vcpus, cpuid);
                var clock = snapshot.Clock is null ? (kvm_clock_data?)null : Snapshots.StructBytes.To<kvm_clock_data>(snapshot.Clock, "clock");
                machine = new VirtualMachine(config, kvm, vm, memory, vcpus, devices, console, owned, pvm, snapshot.CommandLine, _logger, cpuid, clock, restored: true);
                return machine;
            }

            var (entry, rsi, rsp, cmdline) = LoadGuest(memory, memoryBytes, pvm, devices.KernelArguments);
            for (var i = 0; i < config.Vcpus; i++)
            {
                var vcpu = vm.CreateVcpu((uint)i);
                vcpus.Add(vcpu);
                var startsHere = i == 0 || config.Raw is { AllVcpus: true };
                cpuid.Add(CpuidBuilder.Build(supported, vcpu.Id, config.Vcpus, pvm));
                ConfigureVcpu(vcpu, cpuid[i], startsHere ? (entry, rsi, rsp - (ulong)i * 0x1000) : null);
            }

            machine = new VirtualMachine(config, kvm, vm, memory, vcpus, devices, console, owned, pvm, cmdline, _logger, cpuid, null);
            return machine;
        }
        catch
        {
            foreach (var v in vcpus)
            {
                v.Dispose();
            }

            foreach (var o in owned.AsEnumerable().Reverse())
            {
                o.Dispose();
            }

            console?.Dispose();
            vm?.Dispose();
            memory?.Dispose();
            kvm?.Dispose();
            throw;
        }
    }

    /// <summary>Rejects configs that cannot work, with a message saying what to change.</summary>
    public static void Validate(MachineConfig config)
    {
        if (config.Vcpus is < 1 or > MpTable.MaxVcpus)
        {
            throw new ArgumentException($"vcpus must be between 1 and {MpTable.MaxVcpus} (got {config.Vcpus})");
        }

        if (config.MemoryMiB is < 16 or > 1024 * 1024)
        {
            throw new ArgumentException($"memory must be between 16 MiB and 1 TiB (got {config.MemoryMiB} MiB)");
        }

        if (config.RestoreFrom is { } from && !Directory.Exists(from))
        {
            throw new DirectoryNotFoundException($"restoreFrom: snapshot directory {from} does not exist");
        }

        if (config.RestoreFrom is not null)
        {
            return; // no kernel: the guest comes from the snapshot
        }

        if (config.Raw is null && string.IsNullOrEmpty(config.KernelPath))
        {
            throw new ArgumentException("no kernel: set \"kernel\" to an ELF vmlinux or bzImage path");
        }

        if (config.Vsock?.Problem() is { } vsock)
        {
            throw new ArgumentException($"vsock: {vsock}");
        }

        foreach (var path in new[] { config.KernelPath, config.InitrdPath }.Where(p => p is not null && config.Raw is null))
        {
            if (!File.Exists(path))
            {
                throw new FileNotFoundException($"{path} does not exist", path);
            }
        }
    }

    private (ulong Entry, ulong Rsi, ulong Rsp, string Cmdline) LoadGuest(GuestMemory memory, ulong memoryBytes, bool pvm, IReadOnlyList<string> devices)
    {
        if (config.Raw is { } raw)
        {
            memory.Write(raw.LoadAddress, raw.Code);
            LongMode.WriteTables(memory);
            return (raw.LoadAddress, 0, raw.StackTop, "");
        }

        var additions = new List<string>(devices) { "i8042.noaux", "i8042.nomux", "i8042.nopnp", "i8042.dumbkbd" };
        if (!config.CommandLine.Contains("reboot=", StringComparison.Ordinal))
        {
            additions.Add("reboot=k");
        }

        if (pvm)
        {
            additions.Add(HostProbe.PvmCommandLine);
        }

        var cmdline = WithAdditions(config.CommandLine, additions);
        var setup = LinuxBoot.Load(memory, new BootOptions
        {
            Kernel = File.ReadAllBytes(config.KernelPath!),
            Initrd = config.InitrdPath is null ? null : File.ReadAllBytes(config.InitrdPath),
            CommandLine = cmdline,
            Vcpus = config.Vcpus,
            MemoryBytes = memoryBytes,
            MpTable = WritesMpTable(config),
        });
        return (setup.Kernel.Entry, setup.ZeroPage, Layout.BootStackPointer, cmdline);
    }

    /// <summary>
    /// Whether the guest gets an MP table: unless the config says otherwise, always, also for 1 vCPU on nested
    /// PVM hosts. Without one Linux scans the BIOS area 0xf0000-0xfffff for it in 16-byte steps, remapping
    /// up to 64 KiB (and flushing the TLB per page) at each step: seconds of emulated guest time there.
    /// </summary>
    public static bool WritesMpTable(MachineConfig config) => config.MpTable ?? true;

    /// <summary>Inserts the VMM's arguments before a " -- " (init arguments) if there is one.</summary>
    public static string WithAdditions(string cmdline, IEnumerable<string> additions)
    {
        var extra = string.Join(' ', additions);
        var split = cmdline.IndexOf(" -- ", StringComparison.Ordinal);
        return split < 0
            ? $"{cmdline} {extra}".Trim()
            : $"{cmdline[..split]} {extra}{cmdline[split..]}".Trim();
    }

    private void ConfigureVcpu(KvmVcpu vcpu, kvm_cpuid_entry2[] cpuid, (ulong Entry, ulong Rsi, ulong Rsp)? bsp)
    {
        vcpu.SetCpuid(cpuid);
        vcpu.SetMsrs(
        [
            new kvm_msr_entry { index = X86Constants.MSR_IA32_MISC_ENABLE, data = X86Constants.MSR_IA32_MISC_ENABLE_FAST_STRING },
            new kvm_msr_entry { index = X86Constants.MSR_MTRRdefType, data = X86Constants.MTRR_DEF_TYPE_E | X86Constants.MTRR_TYPE_WRBACK },
        ]);
        if (config.InKernelIrqchip)
        {
            var lapic = vcpu.GetLapic();
            lapic.Write(X86Constants.APIC_LVT0, (lapic.Read(X86Constants.APIC_LVT0) & ~X86Constants.APIC_MODE_MASK) | X86Constants.APIC_DM_EXTINT);
            lapic.Write(X86Constants.APIC_LVT1, (lapic.Read(X86Constants.APIC_LVT1) & ~X86Constants.APIC_MODE_MASK) | X86Constants.APIC_DM_NMI);
            vcpu.SetLapic(lapic);
        }

        vcpu.SetFpu(new kvm_fpu { fcw = X86Constants.X87_FCW_FNINIT, mxcsr = X86Constants.MXCSR_DEFAULT });
        if (bsp is { } start)
        {
            vcpu.SetSregs(LongMode.Configure(vcpu.GetSregs()));
            vcpu.SetRegs(new kvm_regs { rip = start.Entry, rsi = start.Rsi, rdi = vcpu.Id, rsp = start.Rsp, rbp = start.Rsp, rflags = X86Constants.X86_EFLAGS_FIXED });
            if (vcpu.Id != 0 && config.InKernelIrqchip)
            {
                vcpu.SetMpState(KvmConstants.KVM_MP_STATE_RUNNABLE); // start without INIT/SIPI
            }
        }
    }

    /// <summary>Parses "aa:bb:cc:dd:ee:ff"; null gives a random locally administered unicast address.</summary>
    public static byte[] ParseMac(string? mac)
    {
        if (mac is null)
        {
            var random = RandomNumberGenerator.GetBytes(6);
            random[0] = (byte)((random[0] & 0xfe) | 0x02);
            return random;
        }

        var parts = mac.Split(':');
        if (parts.Length != 6 || !parts.All(p => p.Length == 2 && byte.TryParse(p, System.Globalization.NumberStyles.HexNumber, null, out _)))
        {
            throw new ArgumentException($"MAC address '{mac}' is not of the form 02:00:00:00:00:01");
        }

        return [.. parts.Select(p => byte.Parse(p, System.Globalization.NumberStyles.HexNumber))];
    }
}
