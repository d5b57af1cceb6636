using System.Collections.Immutable;

namespace Formation.Formfiles;

/// <summary>
/// An account from a <c>USER</c> line. Field names and defaults are the original Formation's
/// (<c>username</c>, <c>passwd</c>, <c>ssh_authorized_keys</c>, <c>sudo</c>, <c>groups</c>, <c>shell</c>,
/// <c>lock_passwd</c>, <c>chpasswd_expire</c>, <c>ssh_pwauth</c>, <c>disable_root</c>).
/// </summary>
/// <param name="Password">The password as written: plain text (hashed by the builder) or already a crypt hash
/// (<c>$6$...</c>). Null when <c>lock_passwd</c> is set and no password was given. Never stored in an image manifest.</param>
/// <param name="Shell">Login shell; null means the base's default (<c>/bin/bash</c> on Debian, <c>/bin/sh</c> on tiny).</param>
[GenerateSerializer, Immutable, Alias("Formation.Formfiles.FormfileUser")]
public sealed record FormfileUser(
    [property: Id(0)] string Username,
    [property: Id(1)] string? Password,
    [property: Id(2)] ImmutableArray<string> SshAuthorizedKeys,
    [property: Id(3)] bool Sudo,
    [property: Id(4)] ImmutableArray<string> Groups,
    [property: Id(5)] string? Shell,
    [property: Id(6)] bool LockPassword,
    [property: Id(7)] bool ChpasswdExpire,
    [property: Id(8)] bool SshPasswordAuth,
    [property: Id(9)] bool DisableRoot)
{
    /// <summary>True when <see cref="Password"/> is already a crypt(3) hash.</summary>
    public bool PasswordIsHash => Password is not null && Password.StartsWith('$');

    /// <summary>Hides the password so logs and exceptions never show it.</summary>
    public override string ToString() =>
        $"FormfileUser {{ Username = {Username}, Sudo = {Sudo}, Groups = [{string.Join(",", Groups)}], Keys = {SshAuthorizedKeys.Length} }}";
}
