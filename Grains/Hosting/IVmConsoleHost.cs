namespace Formation.Grains.Hosting;

/// <summary>A host whose VMs have serial consoles (the real drivers; not <c>sim</c>).</summary>
public interface IVmConsoleHost
{
    /// <summary>Console bytes from <paramref name="offset"/> (the log keeps every boot's output).</summary>
    Task<byte[]> ReadConsoleAsync(string vmId, long offset, int max, CancellationToken cancellationToken);

    /// <summary>Current length of the console log.</summary>
    long ConsoleLength(string vmId);

    /// <summary>Types into the console.</summary>
    Task WriteConsoleAsync(string vmId, ReadOnlyMemory<byte> data, CancellationToken cancellationToken);
}
