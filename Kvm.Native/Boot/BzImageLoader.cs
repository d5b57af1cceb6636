using System.Buffers.Binary;
using Formation.Kvm.Native.Arch;
using Formation.Kvm.Native.Memory;

namespace Formation.Kvm.Native.Boot;

/// <summary>
/// Loads a Linux bzImage (boot protocol ≥ 2.12 with XLF_KERNEL_64): the protected-mode part goes to
/// 1 MiB and the 64-bit entry is its start + 0x200. The in-image decompressor then runs in the guest.
/// </summary>
public static class BzImageLoader
{
    public const ushort MinimumVersion = 0x020c;

    public static bool IsBzImage(ReadOnlySpan<byte> image) =>
        image.Length > 0x264 && BinaryPrimitives.ReadUInt32LittleEndian(image[BootParams.HeaderMagicOffset..]) == BootParams.HeaderMagic;

    public static LoadedKernel Load(ReadOnlySpan<byte> image, GuestMemory memory)
    {
        if (!IsBzImage(image))
        {
            throw new KernelImageException("not a bzImage: no \"HdrS\" boot header at 0x202");
        }

        var version = BinaryPrimitives.ReadUInt16LittleEndian(image[BootParams.VersionOffset..]);
        if (version < MinimumVersion)
        {
            throw new KernelImageException(
                $"boot protocol {version >> 8}.{version & 0xff} is too old; 2.12 or later (Linux 3.8+) is needed for the 64-bit entry");
        }

        var xloadflags = BinaryPrimitives.ReadUInt16LittleEndian(image[BootParams.XloadflagsOffset..]);
        if ((xloadflags & BootParams.XlfKernel64) == 0)
        {
            throw new KernelImageException("the bzImage has no 64-bit entry point (XLF_KERNEL_64 not set); build an x86-64 kernel");
        }

        int setupSects = image[BootParams.SetupSectsOffset];
        if (setupSects == 0)
        {
            setupSects = 4;
        }

        var kernelOffset = (setupSects + 1) * 512;
        if (kernelOffset >= image.Length)
        {
            throw new KernelImageException("the bzImage is truncated: no protected-mode kernel after the setup sectors");
        }

        var payload = image[kernelOffset..];
        var initSize = BinaryPrimitives.ReadUInt32LittleEndian(image[BootParams.InitSizeOffset..]);
        var load = Layout.HighMemoryStart;
        if (!memory.IsValid(load, (ulong)payload.Length))
        {
            throw new KernelImageException($"the bzImage ({payload.Length} bytes) does not fit in guest RAM");
        }

        memory.Write(load, payload);
        var prefAddress = BinaryPrimitives.ReadUInt64LittleEndian(image[BootParams.PrefAddressOffset..]);
        var end = Math.Max(load + (ulong)payload.Length, Math.Max(load, prefAddress) + initSize);
        var headerEnd = Math.Min(0x202 + image[0x201], 0x280);
        return new LoadedKernel(load + 0x200, load, end, "bzImage", image[..headerEnd].ToArray());
    }
}
