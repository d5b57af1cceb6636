using Formation.Identity;

namespace Formation.Ownership;

/// <summary>
/// A resource name within an account. Names are unique per account, so two accounts can both have a VM called "web".
/// Written <c>NAME</c> for the caller's own account (the admin account for the silo's own work) or <c>ACCOUNT/NAME</c>
/// for another's, which only admins may address; a member naming another account's resource is told it does not exist.
/// </summary>
public readonly record struct OwnedName(string Account, string Name)
{
    public const char Separator = '/';

    /// <summary>The map key that keeps equal names of two accounts apart (account names cannot contain the separator).</summary>
    public string Key => Account + Separator + Name;

    /// <summary>
    /// How the resource is written for everyone: its bare name for the admin account (so names from before accounts read
    /// as they always did), <c>ACCOUNT/NAME</c> otherwise.
    /// </summary>
    public override string ToString() => Account == Caller.AdminAccount ? Name : Key;

    /// <summary>The account a caller's bare names refer to: its own; the silo's own work acts for the admin account.</summary>
    public static string HomeOf(Caller caller) => caller == Caller.System ? Caller.AdminAccount : caller.Account;

    /// <summary>Reads <c>NAME</c> (the caller's home account) or <c>ACCOUNT/NAME</c>; does not check access.</summary>
    public static OwnedName Parse(string text, Caller caller)
    {
        var slash = text.IndexOf(Separator);
        return slash < 0 ? new OwnedName(HomeOf(caller), text) : new OwnedName(text[..slash], text[(slash + 1)..]);
    }

    /// <summary>Reads a name the silo wrote with <see cref="ToString"/> (a bare name is the admin account's).</summary>
    public static OwnedName FromStored(string text) => Parse(text, Caller.Admin);
}
