namespace Formation.Identity;

/// <summary>
/// The account a request acts for. Only the silo establishes it, from a credential it verified (or from the local API's
/// peer credentials); grain code reads it with <see cref="CallerContext.Current"/> and never takes it from an argument.
/// </summary>
[GenerateSerializer, Immutable]
[Alias("formation.caller")]
public sealed record Caller(
    [property: Id(0)] string Account,
    [property: Id(1)] bool IsAdmin)
{
    /// <summary>The account the cluster's first credential and the host's root act as; owner of resources made before accounts existed.</summary>
    public const string AdminAccount = AccountNames.Admin;

    /// <summary>The silo's own work (reconcilers, reminders, agents): sees everything, owns nothing.</summary>
    public static readonly Caller System = new(AccountNames.System, IsAdmin: true);

    /// <summary>The cluster's admin account.</summary>
    public static readonly Caller Admin = new(AdminAccount, IsAdmin: true);

    /// <summary>True when this caller may see and change a resource owned by <paramref name="owner"/>.</summary>
    public bool MayAct(string owner) => IsAdmin || string.Equals(owner, Account, StringComparison.Ordinal);
}

/// <summary>
/// The current request's <see cref="Caller"/>, carried in Orleans' request context. The silo's incoming call filter
/// replaces whatever a client put under <see cref="Key"/> before any grain runs.
/// </summary>
public static class CallerContext
{
    public const string Key = "formation.caller";

    /// <summary>
    /// The caller this process itself established for the current flow (by <see cref="Set"/>), as opposed to a value that
    /// merely arrived in a request context: a stream event, for one, carries the request context of whoever published
    /// it, and a client may have put any caller there. Lives in the flow only, never on the wire.
    /// </summary>
    private static readonly AsyncLocal<Caller?> EstablishedHere = new();

    /// <summary>The verified caller of the current request, or null outside one (silo background work).</summary>
    public static Caller? Current => RequestContext.Get(Key) as Caller;

    /// <summary>The current caller, or <see cref="Caller.System"/> for the silo's own work.</summary>
    public static Caller CurrentOrSystem => Current ?? Caller.System;

    /// <summary>
    /// The caller established in this process for this flow (the identity filter, the local or HTTP API), or null. What a
    /// silo may vouch for when it calls on: never a caller that only arrived in an imported request context.
    /// </summary>
    public static Caller? Established => EstablishedHere.Value is { } here && Equals(here, Current) ? here : null;

    /// <summary>Sets the caller for the rest of this request; only the silo's identity filter and local API call it.</summary>
    public static void Set(Caller caller)
    {
        RequestContext.Set(Key, caller);
        EstablishedHere.Value = caller;
    }

    /// <summary>Removes any caller from the current flow (a call that proved none).</summary>
    public static void Clear()
    {
        RequestContext.Remove(Key);
        EstablishedHere.Value = null;
    }
}
