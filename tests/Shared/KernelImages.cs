using System.Buffers.Binary;

namespace Formation.Testing;

/// <summary>Synthetic kernel images: a minimal ELF64 with one PT_LOAD, and a bzImage-shaped file (formation-vmm tests, in Kvm.Native and the silo).</summary>
internal static class KernelImages
{
    public static byte[] Elf(ulong paddr, byte[] code, ulong memsz, ulong entry, ushort machine = 62)
    {
        var image = new byte[0x1000 + code.Length];
        image[0] = 0x7f;
        "ELF"u8.CopyTo(image.AsSpan(1));
        image[4] = 2; // ELFCLASS64
        image[5] = 1; // little endian
        image[6] = 1;
        BinaryPrimitives.WriteUInt16LittleEndian(image.AsSpan(16), 2); // ET_EXEC
        BinaryPrimitives.WriteUInt16LittleEndian(image.AsSpan(18), machine);
        BinaryPrimitives.WriteUInt64LittleEndian(image.AsSpan(24), entry);
        BinaryPrimitives.WriteUInt64LittleEndian(image.AsSpan(32), 64); // phoff
        BinaryPrimitives.WriteUInt16LittleEndian(image.AsSpan(54), 56);
        BinaryPrimitives.WriteUInt16LittleEndian(image.AsSpan(56), 1);
        var ph = image.AsSpan(64, 56);
        BinaryPrimitives.WriteUInt32LittleEndian(ph, 1); // PT_LOAD
        BinaryPrimitives.WriteUInt64LittleEndian(ph[8..], 0x1000);
        BinaryPrimitives.WriteUInt64LittleEndian(ph[16..], 0xffffffff80000000 + paddr);
        BinaryPrimitives.WriteUInt64LittleEndian(ph[24..], paddr);
        BinaryPrimitives.WriteUInt64LittleEndian(ph[32..], (ulong)code.Length);
        BinaryPrimitives.WriteUInt64LittleEndian(ph[40..], memsz);
        code.CopyTo(image, 0x1000);
        return image;
    }

    public static byte[] BzImage(byte[] payload, ushort version = 0x020f, ushort xloadflags = 1, byte setupSects = 3)
    {
        var image = new byte[(setupSects + 1) * 512 + payload.Length];
        image[0x1f1] = setupSects;
        BinaryPrimitives.WriteUInt16LittleEndian(image.AsSpan(0x1fe), 0xaa55);
        image[0x201] = 0x6a; // header ends at 0x26c
        BinaryPrimitives.WriteUInt32LittleEndian(image.AsSpan(0x202), 0x53726448);
        BinaryPrimitives.WriteUInt16LittleEndian(image.AsSpan(0x206), version);
        BinaryPrimitives.WriteUInt32LittleEndian(image.AsSpan(0x22c), 0x7fffffff);
        BinaryPrimitives.WriteUInt32LittleEndian(image.AsSpan(0x230), 0x200000);
        BinaryPrimitives.WriteUInt16LittleEndian(image.AsSpan(0x236), xloadflags);
        BinaryPrimitives.WriteUInt32LittleEndian(image.AsSpan(0x238), 2047);
        BinaryPrimitives.WriteUInt64LittleEndian(image.AsSpan(0x258), 0x1000000);
        BinaryPrimitives.WriteUInt32LittleEndian(image.AsSpan(0x260), 0x100000);
        payload.CopyTo(image, (setupSects + 1) * 512);
        return image;
    }
}
