using System.Net;

namespace Formation.Silo.Dns;

/// <summary>
/// Who asks, as far as the zone's answers depend on it. <see cref="Guest"/>: the source is in the overlay or a node's VM
/// subnet (its names outside the zone are forwarded, answers carry RA). <see cref="Account"/>: null when the asker sees
/// every account's names (the host and other hosts, nodes on the overlay, the admin account's guests); otherwise the one
/// account whose names it sees (a member's guest), or <see cref="NoAccount"/> for a guest-range source no VM or node holds
/// (it sees only the nodes' names). See <see cref="ZoneNames.ForAsker"/> for the rule.
/// </summary>
public readonly record struct DnsAsker(bool Guest, string? Account)
{
    /// <summary>The account of a guest-range source that no known VM or node holds: no account has that name.</summary>
    public const string NoAccount = "";

    /// <summary>Outside the guest ranges (the host itself, other hosts): every account's names; other names refused.</summary>
    public static readonly DnsAsker Outside = new(false, null);

    /// <summary>A node's own address in the overlay, or a guest of the admin account: every account's names, forwarding.</summary>
    public static readonly DnsAsker Fabric = new(true, null);

    /// <summary>A guest-range source no VM or node holds (a guest the feeder has not seen yet, or an address a guest took): node names only.</summary>
    public static readonly DnsAsker Stranger = new(true, NoAccount);

    /// <summary>A guest of <paramref name="account"/>: the admin account's guests see everything (as before accounts existed).</summary>
    public static DnsAsker GuestOf(string account) =>
        account == Formation.Identity.AccountNames.Admin ? Fabric : new DnsAsker(true, account);

    /// <summary>Whether the asker sees every account's names.</summary>
    public bool SeesEveryAccount => Account is null;
}

/// <summary>
/// The source address of a UDP query together with the asker the transport found for it, so the answer is computed for
/// the very asker its cache key names (the owner of an address may change between the datagram and its answer).
/// </summary>
public sealed class AskerEndPoint(IPEndPoint source, DnsAsker asker) : IPEndPoint(source.Address, source.Port)
{
    public DnsAsker Asker { get; } = asker;
}
