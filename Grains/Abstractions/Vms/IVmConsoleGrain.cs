namespace Formation.Vms;

/// <summary>
/// A VM's serial console, on the VM's node (key: like <see cref="IVmGrain"/>). Output is read from the console log by
/// offset (so a reader never misses bytes), input is typed into the running guest.
/// </summary>
[Alias("formation.vm-console")]
public interface IVmConsoleGrain : IGrainWithStringKey
{
    /// <summary>
    /// Up to <paramref name="max"/> bytes from <paramref name="offset"/>; waits up to <paramref name="wait"/> for new output
    /// when there is none. A negative offset counts back from the end (e.g. -4096: the last 4 KiB).
    /// </summary>
    [Alias("read")]
    [NonMutating]
    Task<ConsoleChunk> ReadAsync(long offset, int max, TimeSpan wait);

    /// <summary>Sends keystrokes to the guest's console.</summary>
    [Alias("write")]
    [Mutating(Quiet = true)]
    Task WriteAsync(byte[] data);
}
