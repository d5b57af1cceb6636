using System.Runtime.InteropServices;

namespace Formation.Cli.Context;

/// <summary>
/// Turns the first Ctrl-C (SIGINT) or SIGTERM into a cancellation token so a command can clean up (a second one
/// terminates the process as usual). The token System.CommandLine hands to actions is not cancelled by these signals
/// unless <c>InvocationConfiguration.ProcessTerminationTimeout</c> is set, and even then the process is ended after
/// that timeout; a build must get its cancel request to the node first.
/// </summary>
public sealed class Interrupt : IDisposable
{
    private readonly CancellationTokenSource _source;
    private readonly PosixSignalRegistration? _sigint;
    private readonly PosixSignalRegistration? _sigterm;
    private int _signals;

    public Interrupt(CancellationToken outer)
    {
        _source = CancellationTokenSource.CreateLinkedTokenSource(outer);
        if (!OperatingSystem.IsWindows())
        {
            _sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Handle);
            _sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Handle);
        }
    }

    public CancellationToken Token => _source.Token;

    /// <summary>True once a signal (or the outer token) asked to stop.</summary>
    public bool Requested => _source.IsCancellationRequested;

    public void Dispose()
    {
        _sigint?.Dispose();
        _sigterm?.Dispose();
        _source.Dispose();
    }

    private void Handle(PosixSignalContext context)
    {
        if (Interlocked.Increment(ref _signals) == 1)
        {
            context.Cancel = true;
            _source.Cancel();
        }
    }
}
