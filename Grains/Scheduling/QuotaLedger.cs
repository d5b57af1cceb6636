using Formation.Errors;
using Formation.Nodes;
using Formation.Scheduling;

namespace Formation.Grains.Scheduling;

/// <summary>
/// What each account's reservations hold, and its quota. The scheduler checks and charges in the same synchronous
/// stretch as the placement it guards, so two concurrent creates can never both pass a quota with room for one.
/// Not thread-safe: only the scheduler grain's turns use it.
/// </summary>
public sealed class QuotaLedger
{
    private readonly Dictionary<string, (NodeCapacity Used, int Vms)> _usage = new(StringComparer.Ordinal);
    private readonly Dictionary<string, AccountQuota> _limits = new(StringComparer.Ordinal);

    public void SetLimits(string account, AccountQuota quota) => _limits[account] = quota;

    public AccountQuota LimitsOf(string account) => _limits.GetValueOrDefault(account) ?? AccountQuota.Unlimited;

    public void Charge(string account, NodeCapacity resources)
    {
        var (used, vms) = _usage.GetValueOrDefault(account);
        _usage[account] = (used + resources, vms + 1);
    }

    public void Refund(string account, NodeCapacity resources)
    {
        var (used, vms) = _usage.GetValueOrDefault(account);
        if (vms <= 1)
        {
            _usage.Remove(account);
            return;
        }

        _usage[account] = (used - resources, vms - 1);
    }

    /// <summary>Throws QuotaExceeded when one more VM of <paramref name="resources"/> would pass a limit of the account.</summary>
    public void RequireRoom(string account, NodeCapacity resources)
    {
        var (used, vms) = _usage.GetValueOrDefault(account);
        if (LimitsOf(account).Exceeded(used, vms, resources) is { } exceeded)
        {
            throw new FormationException(ErrorKind.QuotaExceeded,
                $"account '{account}' would use {exceeded}; delete a VM or ask an admin to raise the quota (`form quota show` lists usage and limits).");
        }
    }

    public QuotaStatus StatusOf(string account)
    {
        var (used, vms) = _usage.GetValueOrDefault(account);
        return new QuotaStatus(account, LimitsOf(account), used, vms);
    }

    /// <summary>Every account with a quota or a VM.</summary>
    public IEnumerable<string> Accounts => _usage.Keys.Union(_limits.Keys).Order(StringComparer.Ordinal);
}
