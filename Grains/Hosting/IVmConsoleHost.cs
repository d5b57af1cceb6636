using Formation.Vms;

namespace Formation.Grains.Hosting;

/// <summary>A host whose VMs have serial consoles (the real drivers; not <c>sim</c>).</summary>
public interface IVmConsoleHost
{
    /// <summary>
    /// Console bytes from <paramref name="offset"/> (the log keeps every boot's output up to its cap). When the log has
    /// dropped the output at <paramref name="offset"/>, the chunk starts at the oldest byte it still keeps: its
    /// <see cref="ConsoleChunk.Offset"/> is then past <paramref name="offset"/>.
    /// </summary>
    Task<ConsoleChunk> ReadConsoleAsync(string vmId, long offset, int max, CancellationToken cancellationToken);

    /// <summary>Current end of the console log: every byte ever written to it, kept or dropped.</summary>
    long ConsoleLength(string vmId);

    /// <summary>Types into the console.</summary>
    Task WriteConsoleAsync(string vmId, ReadOnlyMemory<byte> data, CancellationToken cancellationToken);
}
