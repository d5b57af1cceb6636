using System.Globalization;
using Formation.Kvm.Native.Machine;
using Formation.Kvm.Native.Tests.Support;

namespace Formation.Kvm.Native.Tests.Protocol;

/// <summary>
/// The console log cap both ends share: the pure trimming decision, its place in vmm.json, and
/// <see cref="ConsoleLogFile"/> on a real file (dropped output frees its blocks, offsets of what is kept never move).
/// </summary>
public sealed class ConsoleLogCapTests
{
    private const long MiB = 1 << 20;

    [Fact]
    public void KeepFrom_WithinTheCap_KeepsEverything()
    {
        var cap = new ConsoleLogCap { MaxBytes = 4 * MiB };
        Assert.Equal(0, cap.KeepFrom(0, 4 * MiB - 100, 100));
        Assert.Equal(3 * MiB, cap.KeepFrom(3 * MiB, 7 * MiB, 0));
    }

    [Fact]
    public void KeepFrom_PastTheCap_KeepsAboutHalfFromAGranularityBoundary()
    {
        var random = new Random(7);
        foreach (var max in new[] { MiB, 3 * MiB + 12345, 16 * MiB })
        {
            var cap = new ConsoleLogCap { MaxBytes = max };
            for (var i = 0; i < 2000; i++)
            {
                var start = (long)random.Next(0, 1000) * ConsoleLogCap.Granularity;
                var end = start + max + random.NextInt64(-max / 8, 4 * max);
                end = Math.Max(end, start);
                var incoming = random.NextInt64(0, cap.MaxAppend + 1);
                var from = cap.KeepFrom(start, end, incoming);
                if (end + incoming - start <= max)
                {
                    Assert.Equal(start, from);
                    continue;
                }

                Assert.Equal(0, from % ConsoleLogCap.Granularity);
                Assert.InRange(from, start + 1, end);
                var kept = end + incoming - from;
                Assert.InRange(kept, cap.KeepBytes, Math.Min(max, cap.KeepBytes + ConsoleLogCap.Granularity));
            }
        }
    }

    [Fact]
    public void KeepFrom_AnAppendOfMoreThanAQuarterOfTheCap_IsRefused()
    {
        var cap = new ConsoleLogCap { MaxBytes = 4 * MiB };
        Assert.Throws<ArgumentOutOfRangeException>(() => cap.KeepFrom(0, 0, MiB + 1));
    }

    [Fact]
    public void Problem_BelowOneMiB_NamesTheMinimumAndTheDefault()
    {
        Assert.Null(new ConsoleLogCap().Problem());
        var problem = new ConsoleLogCap { MaxBytes = 1000 }.Problem();
        Assert.NotNull(problem);
        Assert.Contains("at least 1048576", problem);
        Assert.Contains("16 MiB", problem);
    }

    [Fact]
    public void Config_CapIsOptionalRoundTripsAndIsStrict()
    {
        Assert.Equal(ConsoleLogCap.DefaultMaxBytes, VmmProtocol.ParseConfig("{}").ConsoleLogCap.MaxBytes);
        var config = VmmProtocol.ParseConfig(VmmProtocol.SerializeConfig(new VmmConfig { ConsoleLogCap = new ConsoleLogCap { MaxBytes = 3 * MiB } }));
        Assert.Equal(3 * MiB, config.ConsoleLogCap.MaxBytes);
        var e = Assert.Throws<InvalidDataException>(() => VmmProtocol.ParseConfig("""{ "consoleLogCap": { "maxBytes": 2097152, "keep": 1 } }"""));
        Assert.Contains("keep", e.Message);
    }

    [Fact]
    public void LoadConfig_CapTooSmall_IsAnErrorNamingFileAndSetting()
    {
        using var dir = Tools.CreateTempDir();
        File.WriteAllText(dir.File("vm.json"), """{ "consoleLogCap": { "maxBytes": 4096 } }""");
        var e = Assert.Throws<ArgumentException>(() => VmConfigFile.Load(dir.File("vm.json")));
        Assert.Contains(dir.File("vm.json"), e.Message);
        Assert.Contains("consoleLogCap.maxBytes", e.Message);
    }

    [Fact]
    public void Trim_RealFilePastItsCap_FreesTheOldestBlocksAndKeepsOffsets()
    {
        using var dir = Tools.CreateTempDir();
        var path = dir.File("console.log");
        var written = Pattern(0, (int)(3 * MiB) + 777);
        File.WriteAllBytes(path, written);
        var cap = new ConsoleLogCap { MaxBytes = MiB };

        using (var file = File.OpenHandle(path, FileMode.Open, FileAccess.Write))
        {
            Assert.Equal(0, ConsoleLogFile.DataStart(file));
            var dropped = ConsoleLogFile.Trim(file, cap);
            Assert.True(dropped > 0);
            Assert.Equal(dropped, ConsoleLogFile.DataStart(file));
            Assert.Equal(0, ConsoleLogFile.Trim(file, cap)); // within the cap now
        }

        Assert.Equal(written.Length, new FileInfo(path).Length); // offsets never move
        var start = DataStartOf(path);
        Assert.InRange(written.Length - start, cap.KeepBytes, cap.KeepBytes + ConsoleLogCap.Granularity);
        Assert.True(Allocated(path) <= cap.MaxBytes, $"the log occupies {Allocated(path)} bytes, more than its cap {cap.MaxBytes}");
        var kept = File.ReadAllBytes(path);
        Assert.Equal(written.AsSpan((int)start).ToArray(), kept.AsSpan((int)start).ToArray());
    }

    [Fact]
    public void DataStart_EmptyFile_IsZero()
    {
        using var dir = Tools.CreateTempDir();
        File.WriteAllBytes(dir.File("empty.log"), []);
        Assert.Equal(0, DataStartOf(dir.File("empty.log")));
    }

    /// <summary>Bytes whose value depends on their offset, so a byte that moved or was lost shows.</summary>
    internal static byte[] Pattern(long offset, int length)
    {
        var bytes = new byte[length];
        for (var i = 0; i < length; i++)
        {
            bytes[i] = (byte)('a' + ((offset + i) % 26));
        }

        return bytes;
    }

    internal static long DataStartOf(string path)
    {
        using var file = File.OpenHandle(path);
        return ConsoleLogFile.DataStart(file);
    }

    /// <summary>What the file occupies on disk (st_blocks × 512).</summary>
    internal static long Allocated(string path) =>
        long.Parse(Tools.Run("stat", "--format=%b", path).Trim(), CultureInfo.InvariantCulture) * 512;
}
