using System.Buffers.Binary;
using Formation.Kvm.Native.Memory;

namespace Formation.Kvm.Native.Boot;

/// <summary>
/// Loads an uncompressed x86-64 ELF kernel (vmlinux): PT_LOAD segments to their physical addresses
/// (p_paddr), bss zeroed, entry = e_entry (physical startup_64 for Linux). No decompressor runs.
/// </summary>
public static class ElfLoader
{
    public const uint PtLoad = 1;

    public static bool IsElf(ReadOnlySpan<byte> image) =>
        image.Length >= 4 && image[0] == 0x7f && image[1] == (byte)'E' && image[2] == (byte)'L' && image[3] == (byte)'F';

    public static LoadedKernel Load(ReadOnlySpan<byte> image, GuestMemory memory)
    {
        if (image.Length < 64 || !IsElf(image))
        {
            throw new KernelImageException("not an ELF file");
        }

        if (image[4] != 2 || image[5] != 1)
        {
            throw new KernelImageException("the ELF kernel is not 64-bit little-endian (ELFCLASS64, ELFDATA2LSB)");
        }

        var machine = BinaryPrimitives.ReadUInt16LittleEndian(image[18..]);
        if (machine != 62)
        {
            throw new KernelImageException($"the ELF kernel is for machine {machine}, not x86-64 (62)");
        }

        var entry = BinaryPrimitives.ReadUInt64LittleEndian(image[24..]);
        var phoff = BinaryPrimitives.ReadUInt64LittleEndian(image[32..]);
        var phentsize = BinaryPrimitives.ReadUInt16LittleEndian(image[54..]);
        var phnum = BinaryPrimitives.ReadUInt16LittleEndian(image[56..]);
        if (phentsize < 56 || phnum == 0 || phoff > (ulong)image.Length || (ulong)phentsize * phnum > (ulong)image.Length - phoff)
        {
            throw new KernelImageException("the ELF program header table is missing or truncated");
        }

        ulong start = ulong.MaxValue, end = 0;
        for (var i = 0; i < phnum; i++)
        {
            var ph = image.Slice((int)phoff + i * phentsize, phentsize);
            if (BinaryPrimitives.ReadUInt32LittleEndian(ph) != PtLoad)
            {
                continue;
            }

            var offset = BinaryPrimitives.ReadUInt64LittleEndian(ph[8..]);
            var paddr = BinaryPrimitives.ReadUInt64LittleEndian(ph[24..]);
            var filesz = BinaryPrimitives.ReadUInt64LittleEndian(ph[32..]);
            var memsz = BinaryPrimitives.ReadUInt64LittleEndian(ph[40..]);
            if (filesz > memsz || offset > (ulong)image.Length || filesz > (ulong)image.Length - offset)
            {
                throw new KernelImageException($"ELF segment {i} lies outside the file or has filesz > memsz");
            }

            if (!memory.IsValid(paddr, memsz))
            {
                throw new KernelImageException(
                    $"ELF segment {i} at 0x{paddr:x}+0x{memsz:x} does not fit in guest RAM; give the VM more memory");
            }

            memory.Write(paddr, image.Slice((int)offset, (int)filesz));
            if (memsz > filesz && memory.TryGetSpan(paddr + filesz, (int)(memsz - filesz), out var bss))
            {
                bss.Clear();
            }

            start = Math.Min(start, paddr);
            end = Math.Max(end, paddr + memsz);
        }

        if (end == 0)
        {
            throw new KernelImageException("the ELF kernel has no PT_LOAD segment");
        }

        if (entry < start || entry >= end)
        {
            throw new KernelImageException(
                $"the ELF entry point 0x{entry:x} is not a physical address inside the image (0x{start:x}-0x{end:x}); is this a Linux vmlinux?");
        }

        return new LoadedKernel(entry, start, end, "elf", []);
    }
}
