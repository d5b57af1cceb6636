namespace Formation.Vms;

/// <summary>
/// Commands run in a VM's guest through its guest agent (<c>form vm exec</c>), on the VM's node (key: like
/// <see cref="IVmGrain"/>). A session is started, then polled for output (and fed stdin) by its id until its result
/// arrives; a session nobody reads for a minute is ended and its command killed.
/// </summary>
[Alias("formation.vm-exec")]
public interface IVmExecGrain : IGrainWithStringKey
{
    /// <summary>
    /// Starts the command; returns the session id. A command that could not start (not found, not executable) still gets
    /// a session, whose first read carries the result (exit 127 or 126 and the reason).
    /// </summary>
    [Alias("start")]
    [Mutating]
    Task<string> StartAsync(ExecRequest request);

    /// <summary>Output since the last read (up to 256 KiB of each stream); waits up to <paramref name="wait"/> when there is none.</summary>
    [Alias("read")]
    [NonMutating]
    Task<ExecOutput> ReadAsync(string session, TimeSpan wait);

    /// <summary>Sends bytes to the command's stdin; an empty array closes it.</summary>
    [Alias("write")]
    [Mutating(Quiet = true)]
    Task WriteAsync(string session, byte[] data);

    /// <summary>Sets the pty's window size.</summary>
    [Alias("resize")]
    [Mutating(Quiet = true)]
    Task ResizeAsync(string session, int rows, int columns);

    /// <summary>Sends a signal (e.g. 2 for SIGINT) to the command's process group.</summary>
    [Alias("signal")]
    [Mutating(Quiet = true)]
    Task SignalAsync(string session, int signal);

    /// <summary>Ends the session, killing the command if it still runs (idempotent).</summary>
    [Alias("end")]
    [Mutating(Quiet = true)]
    Task EndAsync(string session);
}
