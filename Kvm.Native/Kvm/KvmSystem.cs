using Formation.Kvm.Native.Bindings;
using Formation.Kvm.Native.Interop;

namespace Formation.Kvm.Native.Kvm;

/// <summary>The /dev/kvm system file descriptor: capabilities, supported CPUID, VM creation.</summary>
public sealed class KvmSystem : IDisposable
{
    public const string DefaultPath = "/dev/kvm";

    private readonly FileDescriptor _fd;

    private KvmSystem(FileDescriptor fd, string path)
    {
        _fd = fd;
        Path = path;
    }

    public string Path { get; }

    public int Fd => _fd.Value;

    /// <summary>Opens /dev/kvm and checks the API version; the exception says what to do when it cannot.</summary>
    public static KvmSystem Open(string path = DefaultPath)
    {
        var fd = Libc.open(path, Libc.O_RDWR | Libc.O_CLOEXEC, 0);
        if (fd < 0)
        {
            var errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
            var hint = errno switch
            {
                Errno.ENOENT => $"{path} does not exist: this host has no KVM. Enable VT-x/AMD-V in the firmware and load kvm_intel or kvm_amd, or use the qemu hypervisor driver (TCG)",
                Errno.EACCES or Errno.EPERM => $"no permission to open {path}: run as root or add the user to the 'kvm' group",
                Errno.ENXIO or Errno.ENODEV => $"{path} exists but no KVM module is loaded: modprobe kvm_intel or kvm_amd",
                _ => null,
            };
            throw new KvmException($"open {path}", errno, hint);
        }

        var system = new KvmSystem(new FileDescriptor(fd), path);
        var version = Sys.TryIoctl(fd, KvmIoctls.KVM_GET_API_VERSION, 0);
        if (version != KvmIoctls.KVM_API_VERSION)
        {
            system.Dispose();
            throw new KvmException("KVM_GET_API_VERSION", version < 0 ? -version : Errno.EINVAL,
                $"{path} reports KVM API version {version}, expected {KvmIoctls.KVM_API_VERSION}");
        }

        return system;
    }

    /// <summary>True when <paramref name="path"/> can be opened read-write (for test skips and host probes).</summary>
    public static bool IsAvailable(string path = DefaultPath)
    {
        var fd = Libc.open(path, Libc.O_RDWR | Libc.O_CLOEXEC, 0);
        if (fd < 0)
        {
            return false;
        }

        Libc.close(fd);
        return true;
    }

    /// <summary>KVM_CHECK_EXTENSION: 0 when unsupported, otherwise a capability-specific value.</summary>
    public int CheckExtension(int capability)
    {
        var r = Sys.TryIoctl(Fd, KvmIoctls.KVM_CHECK_EXTENSION, (nuint)capability);
        return r < 0 ? 0 : r;
    }

    public int VcpuMmapSize => Sys.Ioctl(Fd, KvmIoctls.KVM_GET_VCPU_MMAP_SIZE, 0, "KVM_GET_VCPU_MMAP_SIZE");

    /// <summary>KVM_GET_SUPPORTED_CPUID, growing the buffer on E2BIG.</summary>
    public kvm_cpuid_entry2[] GetSupportedCpuid()
    {
        var headerSize = System.Runtime.CompilerServices.Unsafe.SizeOf<kvm_cpuid2>();
        var entrySize = System.Runtime.CompilerServices.Unsafe.SizeOf<kvm_cpuid_entry2>();
        for (var n = 64; n <= 4096; n *= 2)
        {
            var buffer = new byte[headerSize + n * entrySize];
            var header = new kvm_cpuid2 { nent = (uint)n };
            System.Runtime.InteropServices.MemoryMarshal.Write(buffer, in header);
            var r = Sys.TryIoctl(Fd, KvmIoctls.KVM_GET_SUPPORTED_CPUID, buffer.AsSpan());
            if (r == -Errno.E2BIG)
            {
                continue;
            }

            if (r < 0)
            {
                throw new KvmException("KVM_GET_SUPPORTED_CPUID", -r);
            }

            var count = (int)System.Runtime.InteropServices.MemoryMarshal.Read<kvm_cpuid2>(buffer).nent;
            return System.Runtime.InteropServices.MemoryMarshal.Cast<byte, kvm_cpuid_entry2>(
                buffer.AsSpan(headerSize, count * entrySize)).ToArray();
        }

        throw new KvmException("KVM_GET_SUPPORTED_CPUID", Errno.E2BIG, "more than 4096 CPUID entries");
    }

    /// <summary>KVM_GET_MSR_INDEX_LIST: the MSRs KVM saves and restores for a vCPU (what a snapshot records).</summary>
    public uint[] GetMsrIndexList()
    {
        for (var n = 64; n <= 16384; n *= 4)
        {
            var buffer = new byte[sizeof(uint) * (n + 1)];
            System.Runtime.InteropServices.MemoryMarshal.Write(buffer, new kvm_msr_list { nmsrs = (uint)n });
            var r = Sys.TryIoctl(Fd, KvmIoctls.KVM_GET_MSR_INDEX_LIST, buffer.AsSpan());
            if (r == -Errno.E2BIG)
            {
                continue;
            }

            if (r < 0)
            {
                throw new KvmException("KVM_GET_MSR_INDEX_LIST", -r);
            }

            var count = (int)System.Runtime.InteropServices.MemoryMarshal.Read<kvm_msr_list>(buffer).nmsrs;
            return System.Runtime.InteropServices.MemoryMarshal.Cast<byte, uint>(buffer.AsSpan(sizeof(uint)))[..count].ToArray();
        }

        throw new KvmException("KVM_GET_MSR_INDEX_LIST", Errno.E2BIG, "more than 16384 MSRs");
    }

    public KvmVm CreateVm()
    {
        var fd = Sys.TryIoctl(Fd, KvmIoctls.KVM_CREATE_VM, 0);
        if (fd < 0)
        {
            throw new KvmException("KVM_CREATE_VM", -fd);
        }

        return new KvmVm(this, new FileDescriptor(fd));
    }

    public void Dispose() => _fd.Dispose();
}
