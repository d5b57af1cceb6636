using System.Collections.Immutable;
using System.Text.RegularExpressions;

namespace Formation.Formfiles;

/// <summary>USER field:value ... (also field=value; quotes group values with spaces).</summary>
internal sealed partial class FormfileParserSession
{
    private static readonly string[] UserFields =
        ["username", "passwd", "ssh_authorized_keys", "sudo", "groups", "shell", "lock_passwd", "chpasswd_expire", "ssh_pwauth", "disable_root"];

    private static readonly HashSet<string> SystemAccounts =
        ["root", "daemon", "bin", "sys", "sync", "games", "man", "lp", "mail", "news", "uucp", "proxy", "www-data",
         "backup", "list", "irc", "gnats", "nobody", "_apt", "systemd-network", "messagebus", "sshd"];

    [GeneratedRegex("^[a-z_][a-z0-9_-]{0,31}$")]
    private static partial Regex AccountNamePattern();

    private void ParseUser(DirectiveArgs a)
    {
        if (!Tokens(a, out var tokens))
        {
            return;
        }

        var fields = new Dictionary<string, (string Value, int Start)>(StringComparer.Ordinal);
        foreach (var token in tokens)
        {
            var separator = token.Value.IndexOfAny([':', '=']);
            if (separator <= 0)
            {
                Error(a.PositionOf(token.Start), FormfileDiagnosticCodes.InvalidValue,
                    $"USER expects field:value pairs, got '{Shorten(token.Value)}'",
                    "e.g. USER username:dev passwd:secret; quote values with spaces: ssh_authorized_keys:\"ssh-ed25519 AAAA... me@host\"");
                return;
            }

            var field = token.Value[..separator].ToLowerInvariant();
            if (!UserFields.Contains(field))
            {
                var nearest = Suggestions.Nearest(field, UserFields);
                Error(a.PositionOf(token.Start), FormfileDiagnosticCodes.InvalidValue, $"USER has no field '{Shorten(field)}'",
                    nearest is null ? "fields are " + string.Join(", ", UserFields) : $"did you mean '{nearest}'?");
                return;
            }

            if (fields.ContainsKey(field))
            {
                Error(a.PositionOf(token.Start), FormfileDiagnosticCodes.Duplicate, $"USER field '{field}' is given twice", "keep one of them");
                return;
            }

            fields[field] = (token.Value[(separator + 1)..], token.Start + separator + 1);
        }

        var user = BuildUser(a, fields);
        if (user is null)
        {
            return;
        }

        if (_users.Any(u => u.Username == user.Username))
        {
            Error(a.At, FormfileDiagnosticCodes.Duplicate, $"user '{user.Username}' is defined twice", "merge the two USER lines");
            return;
        }

        _users.Add(user);
        _instructions.Add(new UserInstruction(a.At, user));
    }

    private FormfileUser? BuildUser(DirectiveArgs a, Dictionary<string, (string Value, int Start)> fields)
    {
        if (!fields.TryGetValue("username", out var username))
        {
            Error(a.At, FormfileDiagnosticCodes.Required, "USER needs a username", "e.g. USER username:dev passwd:secret");
            return null;
        }

        if (!AccountNamePattern().IsMatch(username.Value) || SystemAccounts.Contains(username.Value))
        {
            Error(a.PositionOf(username.Start), FormfileDiagnosticCodes.InvalidValue,
                SystemAccounts.Contains(username.Value)
                    ? $"'{username.Value}' is a system account and cannot be created"
                    : $"username '{Shorten(username.Value)}' is not valid: 1-32 lower-case letters, digits, '_' or '-', starting with a letter or '_'",
                "e.g. username:dev");
            return null;
        }

        var ok = true;
        bool Flag(string name, bool fallback)
        {
            if (!fields.TryGetValue(name, out var field))
            {
                return fallback;
            }

            switch (field.Value.ToLowerInvariant())
            {
                case "true" or "yes" or "1" or "on": return true;
                case "false" or "no" or "0" or "off": return false;
                default:
                    Error(a.PositionOf(field.Start), FormfileDiagnosticCodes.InvalidValue,
                        $"USER {name} must be true or false, got '{Shorten(field.Value)}'", $"e.g. {name}:true");
                    ok = false;
                    return fallback;
            }
        }

        var sudo = Flag("sudo", false);
        var lockPassword = Flag("lock_passwd", false);
        var chpasswdExpire = Flag("chpasswd_expire", true);
        var sshPasswordAuth = Flag("ssh_pwauth", true);
        var disableRoot = Flag("disable_root", true);

        string? password = null;
        if (fields.TryGetValue("passwd", out var passwd))
        {
            if (passwd.Value.Length == 0)
            {
                Error(a.PositionOf(passwd.Start), FormfileDiagnosticCodes.InvalidValue, "USER passwd is empty", "give a password, or lock_passwd:true for key-only login");
                ok = false;
            }

            else if (passwd.Value.StartsWith('$') && (passwd.Value.Contains(':') || passwd.Value.Any(char.IsWhiteSpace) || passwd.Value.Split('$').Length < 4))
            {
                Error(a.PositionOf(passwd.Start), FormfileDiagnosticCodes.InvalidValue,
                    "USER passwd starts with '$' but is not a crypt hash like $6$salt$hash", "give the plain password, or a complete hash from 'mkpasswd -m sha512'");
                ok = false;
            }

            password = passwd.Value;
        }
        else if (!lockPassword)
        {
            Error(a.At, FormfileDiagnosticCodes.Required, $"USER {username.Value} needs passwd (or lock_passwd:true for key-only login)",
                $"e.g. USER username:{username.Value} passwd:secret");
            ok = false;
        }

        var keys = ImmutableArray<string>.Empty;
        if (fields.TryGetValue("ssh_authorized_keys", out var keyField))
        {
            keys = [.. keyField.Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
            foreach (var key in keys.Where(k => k.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length < 2 || k.Contains('\n')))
            {
                Warn(a.PositionOf(keyField.Start), FormfileDiagnosticCodes.Suspicious,
                    $"ssh key '{Shorten(key)}' does not look like '<type> <base64> [comment]'", "paste the whole line of the .pub file, in quotes");
            }
        }

        var groups = ImmutableArray<string>.Empty;
        if (fields.TryGetValue("groups", out var groupField))
        {
            groups = [.. groupField.Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
            foreach (var group in groups.Where(g => !AccountNamePattern().IsMatch(g)))
            {
                Error(a.PositionOf(groupField.Start), FormfileDiagnosticCodes.InvalidValue,
                    $"group '{Shorten(group)}' is not a valid group name", "e.g. groups:docker,adm");
                ok = false;
            }
        }

        string? shell = null;
        if (fields.TryGetValue("shell", out var shellField))
        {
            if (!shellField.Value.StartsWith('/') || shellField.Value.Any(char.IsWhiteSpace) || shellField.Value.Contains(':'))
            {
                Error(a.PositionOf(shellField.Start), FormfileDiagnosticCodes.InvalidValue,
                    $"USER shell must be an absolute path, got '{Shorten(shellField.Value)}'", "e.g. shell:/bin/bash");
                ok = false;
            }

            shell = shellField.Value;
        }

        return ok
            ? new FormfileUser(username.Value, password, keys, sudo, groups, shell, lockPassword, chpasswdExpire, sshPasswordAuth, disableRoot)
            : null;
    }
}
