namespace Formation.Grains.Common;

/// <summary>
/// Group commit for a reentrant grain: callers that change state synchronously then await <see cref="FlushAsync"/>
/// share one storage write with every other caller that changed state while the previous write was in flight.
/// Must be used from the grain's own scheduler (one turn at a time), which is what makes the flags below safe.
/// </summary>
public sealed class CoalescingWriter(Func<Task> write)
{
    private TaskCompletionSource? _waiting;
    private bool _running;

    /// <summary>Completes once a write that started after this call has succeeded; faults if that write failed.</summary>
    public Task FlushAsync()
    {
        _waiting ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var task = _waiting.Task;
        if (!_running)
        {
            _ = PumpAsync();
        }

        return task;
    }

    private async Task PumpAsync()
    {
        _running = true;
        try
        {
            while (_waiting is { } batch)
            {
                _waiting = null;
                try
                {
                    await write();
                    batch.SetResult();
                }
                catch (Exception ex)
                {
                    batch.SetException(ex);
                }
            }
        }
        finally
        {
            _running = false;
        }
    }
}
