using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Formation.Kvm.Native.Machine.Snapshots;

/// <summary>A kernel struct as the bytes a snapshot keeps, and back with its size checked.</summary>
internal static class StructBytes
{
    public static byte[] Of<T>(T value)
        where T : unmanaged => MemoryMarshal.AsBytes(new ReadOnlySpan<T>(in value)).ToArray();

    public static byte[] OfArray<T>(ReadOnlySpan<T> values)
        where T : unmanaged => MemoryMarshal.AsBytes(values).ToArray();

    /// <summary>The struct in <paramref name="bytes"/>; throws <see cref="InvalidDataException"/> naming <paramref name="what"/> when the size is wrong.</summary>
    public static T To<T>(byte[]? bytes, string what)
        where T : unmanaged
    {
        Check<T>(bytes, what);
        return MemoryMarshal.Read<T>(bytes);
    }

    public static void Check<T>(byte[]? bytes, string what)
        where T : unmanaged
    {
        var size = Unsafe.SizeOf<T>();
        if (bytes is null || bytes.Length != size)
        {
            throw new InvalidDataException($"{what} has {bytes?.Length.ToString() ?? "no"} bytes, {typeof(T).Name} has {size}");
        }
    }
}
