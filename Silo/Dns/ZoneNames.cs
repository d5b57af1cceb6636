using Formation.Identity;

namespace Formation.Silo.Dns;

/// <summary>
/// How the zone names what accounts own, and how a question maps to those names for each asker. The table holds one
/// namespace (the "full view"): the admin account's <c>&lt;name&gt;</c>, another account's
/// <c>&lt;name&gt;.&lt;account&gt;</c>, the nodes' <c>&lt;node&gt;.node</c>, SRV names <c>_x._tcp.</c> before a service's
/// name. Names are DNS labels and <c>node</c> is no account's (<see cref="AccountNames.Nodes"/>), so no two owners meet
/// on one name. A member's guest sees its own account's names both bare and under its account label, the nodes', and
/// nothing else: another account's name is NXDOMAIN to it, exactly like a name nobody has.
/// </summary>
public static class ZoneNames
{
    /// <summary>
    /// The name (relative to the zone) of <paramref name="account"/>'s <paramref name="name"/>, or null when either is not
    /// a DNS label or the account is called like the node label (an account made before that name was refused).
    /// </summary>
    public static string? Owned(string account, string name)
    {
        if (!Names.IsDnsLabel(name))
        {
            return null;
        }

        if (account == AccountNames.Admin)
        {
            return name;
        }

        return Names.IsDnsLabel(account) && account != AccountNames.Nodes ? $"{name}.{account}" : null;
    }

    /// <summary>
    /// The table name that <paramref name="relative"/> (the question, relative to the zone, lower case) means for
    /// <paramref name="asker"/>, or null when the asker may not see any (then it is NXDOMAIN, or NODATA when
    /// <paramref name="exists"/>). <paramref name="exists"/> tells whether the asked name exists in the asker's view even
    /// without records of its own: the <c>node</c> label (the nodes are below it), and a member's own account label (its
    /// names are below it), so a resolver that treats NXDOMAIN as "nothing below" (RFC 8020) never hides them.
    /// </summary>
    public static string? ForAsker(string relative, DnsAsker asker, out bool exists)
    {
        exists = false;
        if (asker.SeesEveryAccount)
        {
            return relative;
        }

        var labels = relative.Split('.');
        var prefix = 0;
        while (prefix < labels.Length && labels[prefix].StartsWith('_'))
        {
            prefix++;
        }

        var baseLabels = labels.Length - prefix;
        var account = asker.Account!;
        switch (baseLabels)
        {
            case 2 when labels[^1] == AccountNames.Nodes:
                return relative; // <node>.node, and whatever is asked below it
            case 1 when labels[^1] == AccountNames.Nodes && prefix == 0:
                exists = true; // the nodes' label; a VM of this account called "node" answers here too
                return account == DnsAsker.NoAccount ? null : Under(labels, account);
            case 1 when account != DnsAsker.NoAccount:
                exists = prefix == 0 && labels[0] == account;
                return Under(labels, account);
            case 2 when account != DnsAsker.NoAccount && labels[^1] == account:
                return relative;
            default:
                return null;
        }
    }

    private static string Under(string[] labels, string account) => string.Join('.', labels) + "." + account;
}
