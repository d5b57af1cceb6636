using System.Security.Cryptography;
using System.Text;

namespace Formation.Formfiles;

/// <summary><c>USER username:... passwd:... ...</c>: creates an account in the image.</summary>
[GenerateSerializer, Immutable, Alias("Formation.Formfiles.UserInstruction")]
public sealed record UserInstruction(
    FormfileLocation Location,
    [property: Id(0)] FormfileUser User) : FormfileInstruction(Location)
{
    public override string Directive => "USER";

    /// <summary>Canonical text; the password appears only as a SHA-256 digest.</summary>
    public override string Text
    {
        get
        {
            var u = User;
            var pw = u.Password is null ? "-" : Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(u.Password)));
            return $"USER username:{u.Username} passwd-sha256:{pw} sudo:{u.Sudo} groups:{string.Join(",", u.Groups)} "
                + $"shell:{u.Shell ?? "-"} lock_passwd:{u.LockPassword} chpasswd_expire:{u.ChpasswdExpire} "
                + $"ssh_pwauth:{u.SshPasswordAuth} disable_root:{u.DisableRoot} ssh_authorized_keys:{string.Join(",", u.SshAuthorizedKeys)}";
        }
    }
}
