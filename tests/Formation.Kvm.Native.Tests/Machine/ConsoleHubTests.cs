using System.Text;
using Formation.Kvm.Native.Machine;
using Formation.Kvm.Native.Tests.Support;
using Formation.Kvm.Native.Tests.Protocol;

namespace Formation.Kvm.Native.Tests.Machine;

/// <summary>
/// Finding 7 for formation-vmm: a guest that floods its console cannot fill the disk. The hub's log never occupies more
/// than its cap (checked while the flood runs, not only at the end), keeps the newest output at the offsets it was
/// written at, and a second boot appends after the first under the same cap.
/// </summary>
public sealed class ConsoleHubTests
{
    private const long MiB = 1 << 20;

    [Fact]
    public void Flood_LogNeverOccupiesMoreThanItsCap_AndKeepsTheNewestOutputInPlace()
    {
        using var dir = Tools.CreateTempDir();
        var path = dir.File("console.log");
        var cap = new ConsoleLogCap { MaxBytes = MiB };
        var written = new MemoryStream();
        var largest = 0L;
        using (var hub = new ConsoleHub(path, cap))
        {
            for (var line = 0; written.Length < 6 * MiB; line++)
            {
                var bytes = Encoding.ASCII.GetBytes($"flood line {line:D8} {new string('x', line % 97)}\n");
                hub.Write(bytes);
                written.Write(bytes);
                if (line % 2000 == 0)
                {
                    largest = Math.Max(largest, ConsoleLogCapTests.Allocated(path));
                }
            }
        }

        largest = Math.Max(largest, ConsoleLogCapTests.Allocated(path));
        Assert.True(largest <= cap.MaxBytes + 4096, $"the log occupied {largest} bytes; its cap is {cap.MaxBytes}");
        AssertKeptInPlace(path, written.ToArray(), cap);
    }

    [Fact]
    public void Flood_WithoutNewlines_IsCappedToo()
    {
        using var dir = Tools.CreateTempDir();
        var path = dir.File("console.log");
        var cap = new ConsoleLogCap { MaxBytes = MiB };
        var written = ConsoleLogCapTests.Pattern(0, (int)(5 * MiB));
        using (var hub = new ConsoleHub(path, cap))
        {
            foreach (var b in written)
            {
                hub.WriteByte(b); // what the UART does: one byte at a time, never a newline
            }
        }

        Assert.True(ConsoleLogCapTests.Allocated(path) <= cap.MaxBytes + 4096);
        AssertKeptInPlace(path, written, cap);
    }

    [Fact]
    public void SecondBoot_AppendsAfterTheFirst_UnderTheSameCap()
    {
        using var dir = Tools.CreateTempDir();
        var path = dir.File("console.log");
        var cap = new ConsoleLogCap { MaxBytes = MiB };
        var first = ConsoleLogCapTests.Pattern(0, (int)(3 * MiB));
        using (var hub = new ConsoleHub(path, cap))
        {
            hub.Write(first);
        }

        var second = Encoding.ASCII.GetBytes("second boot\n");
        using (var hub = new ConsoleHub(path, cap))
        {
            hub.Write(second);
        }

        var bytes = File.ReadAllBytes(path);
        Assert.Equal(first.Length + second.Length, bytes.Length);
        Assert.Equal(second, bytes[first.Length..]);
        AssertKeptInPlace(path, [.. first, .. second], cap);
    }

    [Fact]
    public void Constructor_CapTooSmall_IsRefused()
    {
        using var dir = Tools.CreateTempDir();
        var e = Assert.Throws<ArgumentException>(() => new ConsoleHub(dir.File("console.log"), new ConsoleLogCap { MaxBytes = 10 }));
        Assert.Contains("at least", e.Message);
    }

    /// <summary>The log's length is everything written; from its first kept byte on it holds exactly what was written there.</summary>
    private static void AssertKeptInPlace(string path, byte[] written, ConsoleLogCap cap)
    {
        var bytes = File.ReadAllBytes(path);
        Assert.Equal(written.Length, bytes.Length);
        var start = (int)ConsoleLogCapTests.DataStartOf(path);
        Assert.True(start > 0, "nothing was dropped");
        Assert.InRange(written.Length - start, cap.KeepBytes, cap.MaxBytes);
        Assert.True(written.AsSpan(start).SequenceEqual(bytes.AsSpan(start)), "kept output differs from what was written at its offsets");
    }
}
