namespace Formation.Kvm.Native.Arch;

/// <summary>One BIOS e820 map entry as the boot protocol stores it (20 bytes: addr, size, type).</summary>
public readonly record struct E820Entry(ulong Address, ulong Size, uint Type)
{
    public const uint Ram = 1;
    public const uint Reserved = 2;
    public const uint Acpi = 3;

    /// <summary>The e820 map of a Formation VM: low RAM, EBDA and BIOS area reserved, RAM from 1 MiB (split at the MMIO gap).</summary>
    public static IReadOnlyList<E820Entry> ForMemory(ulong memoryBytes)
    {
        var map = new List<E820Entry>
        {
            new(0, Layout.EbdaStart, Ram),
            new(Layout.EbdaStart, Layout.LowRamEnd - Layout.EbdaStart, Reserved),
            new(Layout.AcpiTablesAddress, Layout.BiosAreaEnd - Layout.AcpiTablesAddress, Reserved),
        };
        foreach (var (start, size) in Layout.RamRanges(memoryBytes))
        {
            var from = Math.Max(start, Layout.HighMemoryStart);
            if (start + size > from)
            {
                map.Add(new E820Entry(from, start + size - from, Ram));
            }
        }

        return map;
    }
}
