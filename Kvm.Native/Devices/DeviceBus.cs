namespace Formation.Kvm.Native.Devices;

/// <summary>
/// Address ranges → devices (one bus for port I/O, one for MMIO). Set up before the vCPUs start,
/// then read-only: lookups need no lock. Accesses outside every range are counted and ignored
/// (reads return all ones, like an empty ISA/PCI bus).
/// </summary>
public sealed class DeviceBus(string name)
{
    private Range[] _ranges = [];
    private long _unhandled;

    public string Name { get; } = name;

    /// <summary>The claimed ranges, by start address.</summary>
    public IReadOnlyList<(ulong Start, ulong Length, IBusDevice Device)> Ranges => [.. _ranges.Select(r => (r.Start, r.Length, r.Device))];

    /// <summary>Accesses that hit no device.</summary>
    public long Unhandled => Interlocked.Read(ref _unhandled);

    public void Insert(ulong start, ulong length, IBusDevice device)
    {
        ArgumentOutOfRangeException.ThrowIfZero(length);
        if (start + length < start)
        {
            throw new ArgumentOutOfRangeException(nameof(length), "range wraps around");
        }

        foreach (var r in _ranges)
        {
            if (start < r.Start + r.Length && r.Start < start + length)
            {
                throw new InvalidOperationException(
                    $"{Name} bus: 0x{start:x}+0x{length:x} overlaps {r.Device.GetType().Name} at 0x{r.Start:x}+0x{r.Length:x}");
            }
        }

        _ranges = [.. _ranges.Append(new Range(start, length, device)).OrderBy(r => r.Start)];
    }

    public bool TryFind(ulong address, out IBusDevice device, out ulong offset)
    {
        var ranges = _ranges;
        int lo = 0, hi = ranges.Length - 1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            var r = ranges[mid];
            if (address < r.Start)
            {
                hi = mid - 1;
            }
            else if (address - r.Start >= r.Length)
            {
                lo = mid + 1;
            }
            else
            {
                device = r.Device;
                offset = address - r.Start;
                return true;
            }
        }

        device = null!;
        offset = 0;
        return false;
    }

    /// <summary>Dispatches a read; false (and data filled with 0xff) when no device claims the address.</summary>
    public bool Read(ulong address, Span<byte> data)
    {
        if (TryFind(address, out var device, out var offset))
        {
            device.Read(offset, data);
            return true;
        }

        data.Fill(0xff);
        Interlocked.Increment(ref _unhandled);
        return false;
    }

    /// <summary>Dispatches a write; false when no device claims the address.</summary>
    public bool Write(ulong address, ReadOnlySpan<byte> data)
    {
        if (TryFind(address, out var device, out var offset))
        {
            device.Write(offset, data);
            return true;
        }

        Interlocked.Increment(ref _unhandled);
        return false;
    }

    private sealed record Range(ulong Start, ulong Length, IBusDevice Device);
}
