using Formation.Identity;
using Formation.Images;
using Formation.Ownership;

namespace Formation.Grains.Images;

/// <summary>
/// What an image grain's key is: <c>[ACCOUNT/]REF</c>, where REF is a canonical <c>name:tag</c>, a name to complete, a
/// digest, or invalid. Without ACCOUNT the key means the caller's own images (<see cref="OwnedName.HomeOf"/>). The
/// record grains are <see cref="ImageNames.RecordKey"/>: <c>name:tag</c> (the admin account's) and <c>ACCOUNT/name:tag</c>.
/// </summary>
internal sealed record ImageKey(string Raw, string? Account, string? Canonical, string? DigestHex, string? Problem)
{
    /// <summary>True for a grain that holds a record (<c>name:tag</c> or <c>ACCOUNT/name:tag</c>, never <c>admin/…</c>).</summary>
    public bool IsRecord => Problem is null && DigestHex is null && Canonical is { } canonical && Raw == ImageNames.RecordKey(Owner, canonical);

    /// <summary>The account of a record's key: the admin account for a bare one.</summary>
    public string Owner => Account ?? Caller.AdminAccount;

    public static ImageKey Parse(string key)
    {
        var slash = key.IndexOf(OwnedName.Separator);
        var account = slash < 0 ? null : key[..slash];
        var reference = slash < 0 ? key : key[(slash + 1)..];
        if (account is not null && (account.Length == 0 || reference.Contains(OwnedName.Separator)))
        {
            return new ImageKey(key, null, null, null, "invalid reference");
        }

        var hex = ImageReference.DigestHex(reference, out var explicitDigest);
        var canonical = explicitDigest ? null : ImageReference.TryNormalize(reference, out _);
        if (hex is not null)
        {
            return new ImageKey(key, account, canonical, hex, null);
        }

        return canonical is null
            ? new ImageKey(key, account, null, null, ImageReference.TryNormalize(reference, out var problem) is null ? problem : "invalid reference")
            : new ImageKey(key, account, canonical, null, null);
    }

    /// <summary>
    /// The account whose images this key names for <paramref name="caller"/>, or null when the caller may not see them
    /// (another account's: it must look exactly like a missing image).
    /// </summary>
    public string? AccountFor(Caller caller)
    {
        var account = Account ?? OwnedName.HomeOf(caller);
        return caller.MayAct(account) ? account : null;
    }
}
