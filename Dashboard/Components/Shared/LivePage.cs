using Formation.Dashboard.Cluster;
using Microsoft.AspNetCore.Components;

namespace Formation.Dashboard.Components.Shared;

/// <summary>
/// A page that shows cluster state live: it takes a snapshot (<see cref="LoadAsync"/>), then subscribes to the streams
/// it names (<see cref="SubscribeAsync"/>), and re-renders through <c>InvokeAsync(StateHasChanged)</c> when events
/// arrive. When the connection comes back (a new generation) it takes a new snapshot and subscribes again. Failures
/// become <see cref="Error"/> (one sentence on the page), never an exception that ends the circuit, and a failed snapshot
/// is tried again every <see cref="RetryAfterError"/> while the page is open: the first grain calls after a silo starts
/// may fail once, and a page must not stay on that error until someone reloads it. Disposing cancels and awaits
/// everything it started.
/// </summary>
public abstract class LivePage : ComponentBase, IAsyncDisposable
{
    private readonly List<IAsyncDisposable> _subscriptions = [];
    private readonly CancellationTokenSource _disposed = new();
    private readonly SemaphoreSlim _refreshing = new(1, 1);
    private int _generation = -1;
    private Task _pendingReload = Task.CompletedTask;
    private Task _polling = Task.CompletedTask;
    private int _reloadQueued;
    private Task _retrying = Task.CompletedTask;
    private int _retryQueued;

    [Inject]
    protected FormationService Formation { get; set; } = null!;

    [Inject]
    protected ClusterConnector Connector { get; set; } = null!;

    /// <summary>Why the last snapshot failed, or null.</summary>
    protected string? Error { get; private set; }

    /// <summary>True until the first snapshot arrived (or failed).</summary>
    protected bool Loading { get; private set; } = true;

    /// <summary>How long a page that could not take its snapshot waits before it tries again.</summary>
    protected virtual TimeSpan RetryAfterError => TimeSpan.FromSeconds(2);

    /// <summary>Cancelled when the page goes away.</summary>
    protected CancellationToken Disposed => _disposed.Token;

    protected override async Task OnInitializedAsync()
    {
        Connector.StatusChanged += OnStatusChanged;
        await RefreshAsync();
    }

    /// <summary>Reads the page's state from the cluster.</summary>
    protected abstract Task LoadAsync();

    /// <summary>Subscribes to the page's streams with <see cref="Subscribe{T}"/>.</summary>
    protected virtual Task SubscribeAsync() => Task.CompletedTask;

    /// <summary>Subscribes to <paramref name="stream"/>; <paramref name="apply"/> runs on the renderer, then the page re-renders.</summary>
    protected async Task Subscribe<T>(StreamId stream, Action<T> apply)
    {
        var subscription = await Formation.SubscribeAsync<T>(stream, async item =>
        {
            try
            {
                await InvokeAsync(() =>
                {
                    if (!Disposed.IsCancellationRequested)
                    {
                        apply(item);
                        StateHasChanged();
                    }
                });
            }
            catch (ObjectDisposedException)
            {
                // The page went away while the event was on its way.
            }
        });
        lock (_subscriptions)
        {
            _subscriptions.Add(subscription);
        }
    }

    /// <summary>Snapshot, then subscriptions (again). Also the page's "Refresh" button.</summary>
    protected async Task RefreshAsync()
    {
        if (!await _refreshing.WaitAsync(0))
        {
            return;
        }

        try
        {
            await UnsubscribeAllAsync();
            _generation = Connector.Status.Generation;
            await LoadAsync();
            await SubscribeAsync();
            Error = null;
        }
        catch (Exception ex) when (!Disposed.IsCancellationRequested)
        {
            Error = FabricErrors.Describe(ex);
            RetryLater();
        }
        finally
        {
            Loading = false;
            _refreshing.Release();
        }
    }

    /// <summary>
    /// Reads the snapshot again soon, at most once per <paramref name="delay"/> however many events ask for it (a burst of
    /// 1,000 transitions becomes one read).
    /// </summary>
    protected void ReloadSoon(TimeSpan? delay = null)
    {
        if (Interlocked.Exchange(ref _reloadQueued, 1) == 1)
        {
            return;
        }

        _pendingReload = ReloadLaterAsync(delay ?? TimeSpan.FromMilliseconds(300));
    }

    /// <summary>
    /// Reads the snapshot again every <paramref name="interval"/> while the page is open, for state that changes without
    /// an event (a service's rollout and its replicas' health, a node's metrics). With <paramref name="read"/> only that
    /// part is read again (it handles its own failures), not the whole snapshot. Called again (a new subscription after a
    /// reconnect), it keeps the one loop it has.
    /// </summary>
    protected void PollEvery(TimeSpan interval, Func<Task>? read = null)
    {
        if (_polling.IsCompleted)
        {
            _polling = PollAsync(interval, read);
        }
    }

    private async Task PollAsync(TimeSpan interval, Func<Task>? read)
    {
        try
        {
            using var timer = new PeriodicTimer(interval);
            while (await timer.WaitForNextTickAsync(Disposed))
            {
                if (read is null)
                {
                    ReloadSoon(TimeSpan.Zero);
                    continue;
                }

                await InvokeAsync(async () =>
                {
                    await read();
                    StateHasChanged();
                });
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (ObjectDisposedException)
        {
            // The page went away during a read.
        }
    }

    /// <summary>Runs a user action; a failure becomes a snackbar-style message through <paramref name="report"/>.</summary>
    protected static async Task<bool> TryAsync(Func<Task> action, Action<string> report)
    {
        try
        {
            await action();
            return true;
        }
        catch (Exception ex)
        {
            report(FabricErrors.Describe(ex));
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        Connector.StatusChanged -= OnStatusChanged;
        await _disposed.CancelAsync();
        try
        {
            await _polling;
            await _pendingReload;
            await _retrying;
        }
        catch (Exception)
        {
            // A reload that failed while the page went away has nothing left to show.
        }

        await UnsubscribeAllAsync();
        await DisposeCoreAsync();
        _disposed.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>Stops what a page started besides its subscriptions (terminal loops, builds).</summary>
    protected virtual ValueTask DisposeCoreAsync() => ValueTask.CompletedTask;

    private async Task ReloadLaterAsync(TimeSpan delay)
    {
        try
        {
            await Task.Delay(delay, Disposed);
            Interlocked.Exchange(ref _reloadQueued, 0);
            await InvokeAsync(async () =>
            {
                try
                {
                    await LoadAsync();
                    Error = null;
                }
                catch (Exception ex)
                {
                    Error = FabricErrors.Describe(ex);
                }

                StateHasChanged();
            });
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void RetryLater()
    {
        if (Interlocked.Exchange(ref _retryQueued, 1) == 0)
        {
            _retrying = RetryLaterAsync();
        }
    }

    private async Task RetryLaterAsync()
    {
        try
        {
            await Task.Delay(RetryAfterError, Disposed);
            Interlocked.Exchange(ref _retryQueued, 0);
            await InvokeAsync(async () =>
            {
                if (!Disposed.IsCancellationRequested && Error is not null)
                {
                    await RefreshAsync();
                    StateHasChanged();
                }
            });
        }
        catch (OperationCanceledException)
        {
        }
        catch (ObjectDisposedException)
        {
            // The page went away while the retry was on its way.
        }
    }

    private void OnStatusChanged(ConnectionStatus status)
    {
        if (status.IsConnected && status.Generation != _generation)
        {
            _ = InvokeAsync(async () =>
            {
                await RefreshAsync();
                StateHasChanged();
            });
        }
    }

    private async Task UnsubscribeAllAsync()
    {
        IAsyncDisposable[] current;
        lock (_subscriptions)
        {
            current = [.. _subscriptions];
            _subscriptions.Clear();
        }

        foreach (var subscription in current)
        {
            await subscription.DisposeAsync();
        }
    }
}
