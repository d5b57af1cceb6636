using Formation.Identity;

namespace Formation.Silo.Identity;

/// <summary>
/// Polls the account registry (as <see cref="Caller.System"/>) every <see cref="Interval"/> while the silo is active and
/// feeds <see cref="AccountDirectory"/>: a revoked credential is refused by every silo within about a second, well
/// inside the five the issue allows. An unchanged registry answers null, so a poll is one small message. It also reports
/// this node's own certificate to the registry once (<see cref="NodeKey"/>), so <c>form node revoke</c> knows its serial.
/// </summary>
public sealed partial class AccountDirectoryRefresher(IGrainFactory grains, AccountDirectory directory, ILogger<AccountDirectoryRefresher> logger,
    NodeKey? ownKey = null)
    : ILifecycleParticipant<ISiloLifecycle>
{
    private bool _recorded = ownKey is null;

    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    private readonly CancellationTokenSource _stopping = new();
    private Task _loop = Task.CompletedTask;

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(AccountDirectoryRefresher), ServiceLifecycleStage.Active, _ => StartAsync(), _ => StopAsync());

    private Task StartAsync()
    {
        _loop = Task.Run(LoopAsync);
        return Task.CompletedTask;
    }

    private async Task StopAsync()
    {
        await _stopping.CancelAsync();
        await _loop;
    }

    /// <summary>Reads the registry once (also called by tests).</summary>
    public async Task RefreshAsync()
    {
        RequestContext.Clear();
        CallerContext.Set(Caller.System);
        var registry = grains.GetGrain<IAccountRegistryGrain>(GrainKeys.Cluster);
        if (await registry.ViewAsync(directory.Version) is { } view)
        {
            directory.Apply(view);
            LogRefreshed(view.Version, view.Accounts.Count, view.RevokedSerials.Count);
        }

        if (!_recorded)
        {
            await registry.RecordNodeKeyAsync(ownKey!);
            _recorded = true;
        }
    }

    private async Task LoopAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            try
            {
                await RefreshAsync();
            }
            catch (Exception ex) when (!_stopping.IsCancellationRequested)
            {
                LogFailed(ex.Message);
            }

            try
            {
                await Task.Delay(Interval, _stopping.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Accounts: version {Version}, {Accounts} account(s), {Revoked} revoked key(s)")]
    private partial void LogRefreshed(long version, int accounts, int revoked);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not read the account registry: {Reason}")]
    private partial void LogFailed(string reason);
}
