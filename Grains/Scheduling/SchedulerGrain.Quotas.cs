using Formation.Errors;
using Formation.Identity;
using Formation.Scheduling;

namespace Formation.Grains.Scheduling;

public sealed partial class SchedulerGrain
{
    /// <summary>
    /// The account a placement is charged to. The catalog names the VM's owner; only an admin caller (the silo's own
    /// work, or an admin's request) is believed, so a member calling the scheduler directly is charged itself.
    /// </summary>
    private static string ChargedAccount(PlacementRequest request)
    {
        var caller = CallerContext.CurrentOrSystem;
        return caller.IsAdmin ? request.Owner ?? Ownership.OwnedName.HomeOf(caller) : caller.Account;
    }

    public async Task<QuotaStatus> SetQuotaAsync(string account, AccountQuota change)
    {
        if (!CallerContext.CurrentOrSystem.IsAdmin)
        {
            throw new FormationException(ErrorKind.PermissionDenied,
                "Only an admin can change quotas; ask an admin to run `form quota set`.");
        }

        Names.RequireDnsLabel(account, "Account");
        var limits = _quotas.LimitsOf(account).With(change);
        limits = new AccountQuota(
            limits.VCpus is > 0 ? limits.VCpus : null,
            limits.MemoryMiB is > 0 ? limits.MemoryMiB : null,
            limits.DiskGiB is > 0 ? limits.DiskGiB : null,
            limits.Vms is > 0 ? limits.Vms : null);
        _quotas.SetLimits(account, limits);
        if (limits == AccountQuota.Unlimited)
        {
            _quotaRows.Remove(account, out _);
        }
        else
        {
            _quotaRows.Set(account, limits);
        }

        await _quotaRows.FlushAsync();
        LogQuotaSet(account, limits.ToString());
        return _quotas.StatusOf(account);
    }

    public Task<IReadOnlyList<QuotaStatus>> ListQuotasAsync(string? account = null)
    {
        var caller = CallerContext.CurrentOrSystem;
        if (account is not null && !caller.MayAct(account))
        {
            throw new FormationException(ErrorKind.PermissionDenied,
                $"You can see only your own quota ('{caller.Account}'); ask an admin about account '{account}'.");
        }

        IReadOnlyList<QuotaStatus> list = account is not null ? [_quotas.StatusOf(account)]
            : caller.IsAdmin ? [.. _quotas.Accounts.Select(_quotas.StatusOf)]
            : [_quotas.StatusOf(caller.Account)];
        return Task.FromResult(list);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Quota of account {Account} set to {Limits}")]
    private partial void LogQuotaSet(string account, string limits);
}
