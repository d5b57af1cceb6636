using System.Globalization;
using System.Text.Json.Serialization;

namespace Formation.Vmm.Protocol;

/// <summary>
/// How much of a VM's console output its log keeps on disk (<c>"consoleLogCap": {"maxBytes": 16777216}</c> in vmm.json;
/// the silo's <c>Formation:Vms:ConsoleLogMaxBytes</c>). When the log would hold more than <see cref="MaxBytes"/>, its
/// oldest output is dropped so that about half of it — the newest — remains: dropping is rare (once per half a cap of
/// output) and the log never holds less than half a cap once it has been full. Dropped bytes become a hole at the start
/// of the file (<see cref="ConsoleLogFile"/>), so offsets in the log never move and a reader's position stays valid.
/// </summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record ConsoleLogCap
{
    public const long DefaultMaxBytes = 16L << 20;

    /// <summary>The smallest cap: a log must have room for a boot's worth of messages.</summary>
    public const long MinMaxBytes = 1L << 20;

    /// <summary>
    /// Old output is dropped in whole units of this size (a multiple of every file system's block size, so a dropped
    /// range frees whole blocks and the first kept byte starts a block).
    /// </summary>
    public const int Granularity = 64 << 10;

    /// <summary>The most output the log holds; what it occupies on disk is at most this plus one file-system block.</summary>
    public long MaxBytes { get; set; } = DefaultMaxBytes;

    /// <summary>What is kept when old output is dropped: half the cap.</summary>
    [JsonIgnore]
    public long KeepBytes => MaxBytes / 2;

    /// <summary>The largest append <see cref="KeepFrom"/> accepts at once (a writer splits bigger ones).</summary>
    [JsonIgnore]
    public long MaxAppend => MaxBytes / 4;

    /// <summary>Null when the cap is usable; otherwise what is wrong and what to do.</summary>
    public string? Problem() => MaxBytes < MinMaxBytes
        ? string.Create(CultureInfo.InvariantCulture,
            $"console log cap {MaxBytes} bytes is too small: use at least {MinMaxBytes} (1 MiB); the default is {DefaultMaxBytes} (16 MiB)")
        : null;

    /// <summary>
    /// Where the kept part of the log must begin before <paramref name="incoming"/> bytes are appended at
    /// <paramref name="end"/>, when it now begins at <paramref name="start"/>: <paramref name="start"/> itself while the
    /// log stays within the cap, otherwise a <see cref="Granularity"/> boundary that leaves between
    /// <see cref="KeepBytes"/> and <see cref="KeepBytes"/> + <see cref="Granularity"/> bytes after the append.
    /// </summary>
    public long KeepFrom(long start, long end, long incoming)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        ArgumentOutOfRangeException.ThrowIfLessThan(end, start);
        ArgumentOutOfRangeException.ThrowIfNegative(incoming);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(incoming, MaxAppend);
        if (end + incoming - start <= MaxBytes)
        {
            return start;
        }

        var from = end + incoming - KeepBytes;
        return Math.Max(start, from - from % Granularity);
    }
}
