using System.Diagnostics;
using System.Globalization;
using System.Text;
using Formation.Silo.Hypervisors;
using Formation.Vmm.Protocol;
using Microsoft.Extensions.Logging.Abstractions;

namespace Formation.Silo.Tests.Hypervisors;

/// <summary>
/// The silo's side of a capped console log: reading from an offset whose output was dropped goes on from the oldest
/// kept byte and says so, waiting for a line works across a trim, and the trimmer keeps a log that another process
/// appends to with O_APPEND (as QEMU does) under its cap without losing or moving any byte it keeps.
/// </summary>
public sealed class ConsoleLogTests
{
    private const long MiB = 1 << 20;
    private static readonly ConsoleLogCap Cap = new() { MaxBytes = MiB };
    private static readonly long[] Pow10 = [1, 10, 100, 1000, 10_000, 100_000, 1_000_000];

    [Fact]
    public async Task Read_FromADroppedOffset_StartsAtTheOldestKeptByteAndSaysSo()
    {
        using var dir = new TestDirectory("console-log");
        var path = dir.File("console.log");
        var written = Lines(0, 40_000);
        await File.WriteAllBytesAsync(path, written, TestContext.Current.CancellationToken);
        var dropped = Trim(path);
        Assert.True(dropped > 0);

        var chunk = await ConsoleLog.ReadAsync(path, 0, 4096, TestContext.Current.CancellationToken);

        Assert.Equal(dropped, chunk.Offset);
        Assert.Equal(dropped, chunk.DroppedBefore(0));
        Assert.Equal(written.AsSpan((int)dropped, 4096).ToArray(), chunk.Data);
        Assert.Equal(dropped + 4096, chunk.Next);
        var next = await ConsoleLog.ReadAsync(path, chunk.Next, 1 << 20, TestContext.Current.CancellationToken);
        Assert.Equal(0, next.DroppedBefore(chunk.Next));
        Assert.Equal(written.AsSpan((int)chunk.Next).ToArray(), next.Data);
        Assert.Equal(written.Length, ConsoleLog.Length(path));
        Assert.EndsWith(LineText(39_999).TrimEnd('\n'), ConsoleLog.Tail(path, 1));
    }

    /// <summary>
    /// A writer appending fast, a trimmer dropping old output all the time and readers reading from the oldest kept byte on,
    /// all at once: every byte a read returns is the byte written at its offset, and output the reader did not get is always
    /// announced by a chunk that starts past the offset asked for.
    /// </summary>
    [Fact]
    public async Task Read_WhileTrimsOvertakeTheReader_ReturnsOnlyBytesAtTheirOffsetsAndAnnouncesEveryGap()
    {
        using var dir = new TestDirectory("console-log");
        var path = dir.File("console.log");
        await File.WriteAllBytesAsync(path, [], TestContext.Current.CancellationToken);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        stop.CancelAfter(TimeSpan.FromSeconds(3));

        var writer = Task.Run(async () =>
        {
            await using var log = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, 1);
            for (long record = 0; !stop.IsCancellationRequested; record += 2048)
            {
                var block = new byte[2048 * 8];
                for (var i = 0; i < 2048; i++)
                {
                    Encoding.ASCII.GetBytes(((record + i) % 10_000_000).ToString("D7", CultureInfo.InvariantCulture) + "\n", block.AsSpan(i * 8));
                }

                await log.WriteAsync(block);
                await Task.Delay(1); // a few MiB/s: past the cap within the first second
            }
        });
        var trimmer = Task.Run(async () =>
        {
            using var file = File.OpenHandle(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
            var dropped = 0L;
            while (!stop.IsCancellationRequested)
            {
                dropped += ConsoleLogFile.Trim(file, Cap);
                await Task.Yield();
            }

            return dropped;
        });

        long chunks = 0, gaps = 0, bytes = 0;
        while (!stop.IsCancellationRequested)
        {
            long offset = 0;
            while (!stop.IsCancellationRequested)
            {
                var chunk = await ConsoleLog.ReadAsync(path, offset, 512 * 1024, CancellationToken.None);
                Assert.True(chunk.Offset >= offset, $"a read from {offset} answered from {chunk.Offset}, before it");
                Assert.Equal(chunk.Offset + chunk.Data.Length, chunk.Next);
                for (var i = 0; i < chunk.Data.Length; i++)
                {
                    var at = chunk.Offset + i;
                    var expected = at % 8 == 7 ? (byte)'\n' : (byte)('0' + at / 8 / Pow10[6 - (int)(at % 8)] % 10);
                    Assert.True(chunk.Data[i] == expected, $"byte {at} read as {chunk.Data[i]}, written as {expected}");
                }

                chunks++;
                bytes += chunk.Data.Length;
                gaps += offset > 0 && chunk.Offset > offset ? 1 : 0;
                offset = chunk.Next;
                if (chunk.Data.Length == 0)
                {
                    break;
                }
            }
        }

        await writer;
        var dropped = await trimmer;
        TestContext.Current.SendDiagnosticMessage($"{chunks} chunks, {bytes} bytes checked, {gaps} announced gaps; {dropped} of {ConsoleLog.Length(path)} bytes dropped");
        Assert.True(dropped >= MiB, $"only {dropped} of {ConsoleLog.Length(path)} bytes were dropped: trims were hardly exercised");
        Assert.True(bytes > MiB, $"the readers checked only {bytes} bytes");
    }

    [Fact]
    public async Task WaitFor_MarkerWrittenAfterATrimThatPassedTheStartOffset_IsFound()
    {
        using var dir = new TestDirectory("console-log");
        var path = dir.File("console.log");
        await File.WriteAllBytesAsync(path, Lines(0, 40_000), TestContext.Current.CancellationToken);
        Trim(path);
        await File.AppendAllTextAsync(path, "FORMATION-GUEST-READY\n", TestContext.Current.CancellationToken);

        Assert.True(await ConsoleLog.WaitForAsync(path, 0, "FORMATION-GUEST-READY", TimeSpan.FromSeconds(5), Task.Delay(-1, TestContext.Current.CancellationToken),
            TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Trimmer_LogAppendedByAnotherProcess_StaysUnderItsCapWithNothingKeptLostOrMoved()
    {
        using var dir = new TestDirectory("console-log");
        var path = dir.File("console.log");
        File.Create(path).Dispose();
        await using (var trimmer = ConsoleLogTrimmer.Start(path, Cap, TimeSpan.FromMilliseconds(20), "vm-test", NullLogger.Instance))
        {
            // A shell's >> opens with O_APPEND, like QEMU's logappend=on: each line lands at the end wherever holes are.
            using var writer = Process.Start(new ProcessStartInfo("/bin/sh", ["-c", "i=0; while [ $i -lt 200000 ]; do echo \"line $i of a guest that floods its console with long lines\"; i=$((i+1)); done >> \"$0\"", path]))!;
            var largest = 0L;
            while (!writer.HasExited)
            {
                largest = Math.Max(largest, Allocated(path));
                await Task.Delay(50, TestContext.Current.CancellationToken);
            }

            Assert.Equal(0, writer.ExitCode);
            // Unbounded it would reach 14 MB; the slack is what the writer adds between two trims (a loaded machine can delay one).
            Assert.True(largest < 6 * MiB, $"the log reached {largest} bytes on disk while its cap is {MiB}: the trimmer does not keep up");
        }

        var expected = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Range(0, 200_000).Select(i => $"line {i} of a guest that floods its console with long lines\n")));
        Assert.Equal(expected.Length, new FileInfo(path).Length);
        Assert.True(Allocated(path) <= Cap.MaxBytes + 4096, $"after the last trim the log occupies {Allocated(path)} bytes; its cap is {Cap.MaxBytes}");
        var chunk = await ConsoleLog.ReadAsync(path, 0, int.MaxValue / 2, TestContext.Current.CancellationToken);
        Assert.True(chunk.Offset > 0);
        Assert.Equal(expected.AsSpan((int)chunk.Offset).ToArray(), chunk.Data);
    }

    [Fact]
    public async Task Trimmer_FileSystemWithoutTheLog_DoesNothingUntilItAppears()
    {
        using var dir = new TestDirectory("console-log");
        var path = dir.File("console.log");
        await using var trimmer = ConsoleLogTrimmer.Start(path, Cap, TimeSpan.FromMilliseconds(20), "vm-test", NullLogger.Instance);
        Assert.Equal(0, trimmer.TrimNow());
        await File.WriteAllBytesAsync(path, Lines(0, 40_000), TestContext.Current.CancellationToken);
        await Eventually.TrueAsync(() => Allocated(path) <= Cap.MaxBytes, TimeSpan.FromSeconds(10), "the log appears and is trimmed");
    }

    [Fact]
    public async Task Silo_ConsoleLogCapTooSmall_RefusesToStartSayingWhatToUse()
    {
        using var dir = new TestDirectory("console-log");
        var options = new SiloProcessOptions("cap-config", dir.Path)
        {
            Environment = { ["Formation__Vms__ConsoleLogMaxBytes"] = "4096", ["Formation__Qemu__ConsoleLogTrimInterval"] = "00:00:00" },
        };

        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => SiloProcess.StartAsync(options));

        Assert.Contains("Vms:ConsoleLogMaxBytes: console log cap 4096 bytes is too small: use at least 1048576", refused.Message);
        Assert.Contains("Qemu:ConsoleLogTrimInterval 00:00:00 must be more than 0", refused.Message);
    }

    private static long Trim(string path)
    {
        using var file = File.OpenHandle(path, FileMode.Open, FileAccess.Write);
        return ConsoleLogFile.Trim(file, Cap);
    }

    private static string LineText(int i) => $"console line {i:D6} of a flooding guest\n";

    private static byte[] Lines(int from, int count) =>
        Encoding.ASCII.GetBytes(string.Concat(Enumerable.Range(from, count).Select(LineText)));

    /// <summary>What the file occupies on disk (st_blocks × 512).</summary>
    internal static long Allocated(string path)
    {
        var stat = Process.Start(new ProcessStartInfo("stat", ["--format=%b", path]) { RedirectStandardOutput = true })!;
        var output = stat.StandardOutput.ReadToEnd();
        stat.WaitForExit();
        return long.Parse(output.Trim(), CultureInfo.InvariantCulture) * 512;
    }
}
