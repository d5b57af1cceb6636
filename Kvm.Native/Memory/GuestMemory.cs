using System.Runtime.InteropServices;
using Formation.Kvm.Native.Interop;

namespace Formation.Kvm.Native.Memory;

/// <summary>
/// Guest RAM: a few regions of host memory (mmap'd for KVM, a pinned array in tests). Every access is
/// bounds-checked against one region: an address, length or overflow the guest controls can only
/// produce <c>false</c>, never a host access outside guest RAM. A single access never spans two regions.
/// </summary>
public sealed unsafe class GuestMemory : IDisposable
{
    private readonly GuestRegion[] _regions;
    private readonly IDisposable[] _owners;

    private GuestMemory(GuestRegion[] regions, IDisposable[] owners)
    {
        _regions = regions;
        _owners = owners;
    }

    public IReadOnlyList<GuestRegion> Regions => _regions;

    /// <summary>Total RAM in bytes.</summary>
    public ulong TotalSize
    {
        get
        {
            ulong total = 0;
            foreach (var r in _regions)
            {
                total += r.Size;
            }

            return total;
        }
    }

    /// <summary>Anonymous mmap'd RAM for the given (start, size) ranges.</summary>
    public static GuestMemory Allocate(IReadOnlyList<(GuestAddress Start, ulong Size)> layout)
    {
        var regions = new List<GuestRegion>();
        var owners = new List<IDisposable>();
        try
        {
            foreach (var (start, size) in layout)
            {
                var map = MappedRegion.MapAnonymous((nuint)size, $"guest RAM at {start}");
                owners.Add(map);
                regions.Add(new GuestRegion(start, size, map.Address));
            }
        }
        catch
        {
            owners.ForEach(o => o.Dispose());
            throw;
        }

        return new GuestMemory([.. regions], [.. owners]);
    }

    /// <summary>
    /// RAM mapped copy-on-write from a memory file written by <see cref="GuestMemoryFile.Write"/> (the regions one after
    /// another): nothing is read up front, so the cost does not grow with the guest's size; the file is never written.
    /// </summary>
    public static GuestMemory MapFile(string path, IReadOnlyList<(GuestAddress Start, ulong Size)> layout)
    {
        ulong total = 0;
        foreach (var (_, size) in layout)
        {
            total += size;
        }

        using var file = File.OpenHandle(path, FileMode.Open, FileAccess.Read);
        var length = RandomAccess.GetLength(file);
        if ((ulong)length != total)
        {
            throw new InvalidDataException($"{path} holds {length} bytes of guest memory, the VM has {total}: it belongs to another VM or is damaged");
        }

        var regions = new List<GuestRegion>();
        var owners = new List<IDisposable>();
        try
        {
            long offset = 0;
            foreach (var (start, size) in layout)
            {
                var map = MappedRegion.MapPrivateFile((int)file.DangerousGetHandle(), (nuint)size, offset, $"guest RAM at {start} from {path}");
                owners.Add(map);
                regions.Add(new GuestRegion(start, size, map.Address));
                offset += (long)size;
            }
        }
        catch
        {
            owners.ForEach(o => o.Dispose());
            throw;
        }

        // The mappings keep the file's pages; its descriptor is not needed any more.
        return new GuestMemory([.. regions], [.. owners]);
    }

    /// <summary>RAM from a pinned managed array starting at guest address 0 (unit tests, fuzzing).</summary>
    public static GuestMemory FromArray(byte[] pinned, ulong start = 0) => FromArray(pinned, start, 0, pinned.Length);

    /// <summary>RAM from <paramref name="length"/> bytes of a pinned array at <paramref name="offset"/> (the rest stays outside the guest).</summary>
    public static GuestMemory FromArray(byte[] pinned, ulong start, int offset, int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, pinned.Length - offset);

        // Safe: the pinned GCHandle keeps the array at a fixed address until Dispose frees it; the region
        // covers [offset, offset + length), checked above.
        var handle = GCHandle.Alloc(pinned, GCHandleType.Pinned);
        var region = new GuestRegion(new GuestAddress(start), (ulong)length, handle.AddrOfPinnedObject() + offset);
        return new GuestMemory([region], [new PinnedOwner(handle)]);
    }

    public bool IsValid(GuestAddress address, ulong length) => Find(address.Value, length) is not null;

    /// <summary>A span over guest RAM, or false when [address, address+length) is not inside one region.</summary>
    public bool TryGetSpan(GuestAddress address, int length, out Span<byte> span)
    {
        if (length < 0 || Find(address.Value, (ulong)length) is not { } region)
        {
            span = default;
            return false;
        }

        // Safe: Find() proved the range lies inside the region's host mapping.
        span = new Span<byte>((byte*)region.HostAddress + (address.Value - region.Start.Value), length);
        return true;
    }

    public bool TryRead(GuestAddress address, Span<byte> destination)
    {
        if (!TryGetSpan(address, destination.Length, out var source))
        {
            return false;
        }

        source.CopyTo(destination);
        return true;
    }

    public bool TryWrite(GuestAddress address, ReadOnlySpan<byte> source)
    {
        if (!TryGetSpan(address, source.Length, out var destination))
        {
            return false;
        }

        source.CopyTo(destination);
        return true;
    }

    public bool TryRead<T>(GuestAddress address, out T value)
        where T : unmanaged
    {
        if (!TryGetSpan(address, sizeof(T), out var span))
        {
            value = default;
            return false;
        }

        value = MemoryMarshal.Read<T>(span);
        return true;
    }

    public bool TryWrite<T>(GuestAddress address, T value)
        where T : unmanaged
    {
        if (!TryGetSpan(address, sizeof(T), out var span))
        {
            return false;
        }

        MemoryMarshal.Write(span, in value);
        return true;
    }

    /// <summary>Reads a value the guest may be writing concurrently (ring indices): one volatile load.</summary>
    public bool TryReadVolatile(GuestAddress address, out ushort value)
    {
        if (!TryGetSpan(address, 2, out var span) || (address.Value & 1) != 0)
        {
            value = 0;
            return false;
        }

        // Safe: the 2-byte, 2-aligned range is inside guest RAM (checked above).
        fixed (byte* p = span)
        {
            value = Volatile.Read(ref *(ushort*)p);
        }

        return true;
    }

    /// <summary>Publishes a value the guest polls (used ring index): one volatile store after all prior writes.</summary>
    public bool TryWriteVolatile(GuestAddress address, ushort value)
    {
        if (!TryGetSpan(address, 2, out var span) || (address.Value & 1) != 0)
        {
            return false;
        }

        // Safe: the 2-byte, 2-aligned range is inside guest RAM (checked above).
        fixed (byte* p = span)
        {
            Volatile.Write(ref *(ushort*)p, value);
        }

        return true;
    }

    /// <summary>Writes or throws (VMM-side setup: loading kernels and tables, where a failure is a VMM bug or bad config).</summary>
    public void Write(GuestAddress address, ReadOnlySpan<byte> source)
    {
        if (!TryWrite(address, source))
        {
            throw new ArgumentOutOfRangeException(nameof(address),
                $"guest range {address}+0x{source.Length:x} is outside guest RAM");
        }
    }

    public void Dispose()
    {
        foreach (var owner in _owners)
        {
            owner.Dispose();
        }
    }

    private GuestRegion? Find(ulong address, ulong length)
    {
        foreach (var region in _regions)
        {
            if (region.Contains(address, length))
            {
                return region;
            }
        }

        return null;
    }

    private sealed class PinnedOwner(GCHandle handle) : IDisposable
    {
        public void Dispose()
        {
            if (handle.IsAllocated)
            {
                handle.Free();
            }
        }
    }
}
