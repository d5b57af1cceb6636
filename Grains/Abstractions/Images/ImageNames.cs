using Formation.Identity;
using Formation.Ownership;

namespace Formation.Images;

/// <summary>
/// Image names belong to accounts, as VM names do (<see cref="OwnedName"/>): two accounts may each build <c>web</c>. A
/// reference is read in the caller's account (<c>NAME[:TAG]</c> or a digest), or names an account (<c>ACCOUNT/…</c>,
/// which only admins may use for another account's). The content-addressed files stay shared and de-duplicated.
/// </summary>
public static class ImageNames
{
    /// <summary>
    /// The key of the record grain of <paramref name="canonical"/> (<c>name:tag</c>) owned by <paramref name="account"/>:
    /// bare for the admin account (so records from before accounts keep their keys), <c>ACCOUNT/name:tag</c> otherwise.
    /// </summary>
    public static string RecordKey(string account, string canonical) => new OwnedName(account, canonical).ToString();

    /// <summary>
    /// A reference read in <paramref name="owner"/>'s account whoever resolves it (the silo's own work included): what a
    /// VM, a service or a route of that owner names by <paramref name="reference"/>. A member's reference that names
    /// another account stays unresolvable (it looks missing); the admin account's may name any account's image.
    /// </summary>
    public static string InAccount(string owner, string reference)
    {
        var slash = reference.IndexOf(OwnedName.Separator);
        if (slash >= 0 && (owner == Caller.AdminAccount || reference.AsSpan(0, slash).SequenceEqual(owner)))
        {
            return reference;
        }

        return owner + OwnedName.Separator + reference; // "bob/alice/web" is no valid reference: no image
    }

    /// <summary>
    /// The tag an image has in a node's store: <c>name:tag</c> for the admin account's, <c>ACCOUNT:name:tag</c> for
    /// another's (a name has no ':', so the two never meet; '/' cannot be part of a file name).
    /// </summary>
    public static string StoreTag(string account, string canonical) =>
        account == Caller.AdminAccount ? canonical : account + ":" + canonical;
}
