using System.Buffers.Binary;

namespace Formation.Kvm.Native.Arch;

/// <summary>
/// The Linux x86 "zero page" (struct boot_params, 4 KiB) with the fields a direct-boot loader sets.
/// Offsets from Documentation/x86/zero-page.rst and boot.rst.
/// </summary>
public sealed class BootParams
{
    public const int Size = 4096;

    public const int AcpiRsdpAddrOffset = 0x070;
    public const int ExtRamdiskImageOffset = 0x0c0;
    public const int ExtRamdiskSizeOffset = 0x0c4;
    public const int ExtCmdLinePtrOffset = 0x0c8;
    public const int E820EntriesOffset = 0x1e8;
    public const int SetupHeaderOffset = 0x1f1;
    public const int SetupSectsOffset = 0x1f1;
    public const int VidModeOffset = 0x1fa;
    public const int BootFlagOffset = 0x1fe;
    public const int JumpOffset = 0x200;
    public const int HeaderMagicOffset = 0x202;
    public const int VersionOffset = 0x206;
    public const int TypeOfLoaderOffset = 0x210;
    public const int LoadflagsOffset = 0x211;
    public const int RamdiskImageOffset = 0x218;
    public const int RamdiskSizeOffset = 0x21c;
    public const int HeapEndPtrOffset = 0x224;
    public const int CmdLinePtrOffset = 0x228;
    public const int InitrdAddrMaxOffset = 0x22c;
    public const int KernelAlignmentOffset = 0x230;
    public const int XloadflagsOffset = 0x236;
    public const int CmdlineSizeOffset = 0x238;
    public const int SetupDataOffset = 0x250;
    public const int PrefAddressOffset = 0x258;
    public const int InitSizeOffset = 0x260;
    public const int E820TableOffset = 0x2d0;
    public const int E820MaxEntries = 128;

    public const uint HeaderMagic = 0x53726448; // "HdrS"
    public const ushort BootFlag = 0xaa55;
    public const byte LoadedHigh = 0x01;
    public const byte KeepSegments = 0x40;
    public const byte CanUseHeap = 0x80;
    public const ushort XlfKernel64 = 0x01;

    private readonly byte[] _page = new byte[Size];

    public Span<byte> Bytes => _page;

    /// <summary>Copies a kernel's setup header (bzImage bytes 0x1f1 .. 0x202 + byte[0x201]) into the page.</summary>
    public void CopySetupHeader(ReadOnlySpan<byte> kernelImage)
    {
        var end = Math.Min(0x202 + kernelImage[0x201], Math.Min(kernelImage.Length, 0x280));
        kernelImage[SetupHeaderOffset..end].CopyTo(_page.AsSpan(SetupHeaderOffset));
    }

    /// <summary>A minimal setup header for kernels loaded as ELF (no header in the image).</summary>
    public void SynthesizeSetupHeader()
    {
        U16(BootFlagOffset, BootFlag);
        U32(HeaderMagicOffset, HeaderMagic);
        U16(VersionOffset, 0x020f);
        U32(KernelAlignmentOffset, 0x0100_0000);
        U32(InitrdAddrMaxOffset, 0x7fff_ffff);
        U32(CmdlineSizeOffset, 2047);
    }

    public ushort Version => BinaryPrimitives.ReadUInt16LittleEndian(_page.AsSpan(VersionOffset));

    public uint InitrdAddrMax => BinaryPrimitives.ReadUInt32LittleEndian(_page.AsSpan(InitrdAddrMaxOffset));

    public uint CmdlineSize => BinaryPrimitives.ReadUInt32LittleEndian(_page.AsSpan(CmdlineSizeOffset));

    /// <summary>Loader fields: type_of_loader, loadflags, vid_mode, heap end.</summary>
    public void SetLoaderDefaults()
    {
        _page[TypeOfLoaderOffset] = 0xff;
        _page[LoadflagsOffset] |= LoadedHigh | CanUseHeap | KeepSegments;
        U16(VidModeOffset, 0xffff);
        U16(HeapEndPtrOffset, 0xfe00);
    }

    public void SetCommandLine(ulong address)
    {
        U32(CmdLinePtrOffset, (uint)address);
        U32(ExtCmdLinePtrOffset, (uint)(address >> 32));
    }

    public void SetRamdisk(ulong address, ulong size)
    {
        U32(RamdiskImageOffset, (uint)address);
        U32(RamdiskSizeOffset, (uint)size);
        U32(ExtRamdiskImageOffset, (uint)(address >> 32));
        U32(ExtRamdiskSizeOffset, (uint)(size >> 32));
    }

    public void SetAcpiRsdp(ulong address) =>
        BinaryPrimitives.WriteUInt64LittleEndian(_page.AsSpan(AcpiRsdpAddrOffset), address);

    public void SetSetupData(ulong address) =>
        BinaryPrimitives.WriteUInt64LittleEndian(_page.AsSpan(SetupDataOffset), address);

    public void SetE820(IReadOnlyList<E820Entry> entries)
    {
        if (entries.Count > E820MaxEntries)
        {
            throw new ArgumentException($"at most {E820MaxEntries} e820 entries", nameof(entries));
        }

        _page[E820EntriesOffset] = (byte)entries.Count;
        for (var i = 0; i < entries.Count; i++)
        {
            var e = _page.AsSpan(E820TableOffset + i * 20, 20);
            BinaryPrimitives.WriteUInt64LittleEndian(e, entries[i].Address);
            BinaryPrimitives.WriteUInt64LittleEndian(e[8..], entries[i].Size);
            BinaryPrimitives.WriteUInt32LittleEndian(e[16..], entries[i].Type);
        }
    }

    private void U16(int offset, ushort value) => BinaryPrimitives.WriteUInt16LittleEndian(_page.AsSpan(offset), value);

    private void U32(int offset, uint value) => BinaryPrimitives.WriteUInt32LittleEndian(_page.AsSpan(offset), value);
}
