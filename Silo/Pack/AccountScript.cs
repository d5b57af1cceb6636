using Formation.Formfiles;

namespace Formation.Silo.Pack;

/// <summary>
/// The USER step: a busybox shell script run inside the image root that adds the account to
/// <c>/etc/passwd</c>, <c>/etc/group</c> and <c>/etc/shadow</c> (SHA-512-crypt hash made on the host), its groups,
/// a sudoers drop-in, the home directory with <c>.ssh/authorized_keys</c>, and sshd settings. Works on both bases
/// (no dependency on useradd). Prints <c>formation-user NAME UID</c> so the builder can record the uid.
/// </summary>
internal static class AccountScript
{
    public const string UidMarker = "formation-user ";
    public const string WarningMarker = "formation-warning: ";

    private const string Script = """
        set -eu
        BB=/usr/lib/formation/busybox
        name=$1 hash=$2 shell=$3 groups=$4 sudo=$5 keys=$6 pwauth=$7 noroot=$8 expire=$9
        for f in passwd group; do [ -f /etc/$f ] || : > /etc/$f; done
        [ -f /etc/shadow ] || { : > /etc/shadow; $BB chmod 0600 /etc/shadow; }
        if $BB grep -q "^$name:" /etc/passwd; then
          echo "user '$name' already exists in the image" >&2; exit 17
        fi
        id_used() { $BB cut -d: -f3 /etc/passwd /etc/group | $BB grep -qx "$1"; }
        uid=1000; while id_used "$uid"; do uid=$((uid + 1)); done
        echo "$name:x:$uid:$uid::/home/$name:$shell" >> /etc/passwd
        echo "$name:x:$uid:" >> /etc/group
        [ -f /etc/gshadow ] && echo "$name:!::" >> /etc/gshadow
        days=$(( $($BB date +%s) / 86400 ))
        max=99999; [ "$expire" = 0 ] && max=
        echo "$name:$hash:$days:0:$max:7:::" >> /etc/shadow
        add_to_group() {
          if $BB grep -q "^$1:" /etc/group; then
            $BB sed -i -e "/^$1:/{ s/:\$/:$name/; t; s/\$/,$name/; }" /etc/group
          else
            gid=1000; while id_used "$gid"; do gid=$((gid + 1)); done
            echo "$1:x:$gid:$name" >> /etc/group
            [ -f /etc/gshadow ] && echo "$1:!::$name" >> /etc/gshadow
          fi
        }
        old_ifs=$IFS; IFS=,
        for g in $groups; do [ -n "$g" ] && add_to_group "$g"; done
        IFS=$old_ifs
        if [ "$sudo" = 1 ]; then
          add_to_group sudo
          $BB mkdir -p /etc/sudoers.d
          echo "$name ALL=(ALL:ALL) NOPASSWD:ALL" > "/etc/sudoers.d/90-formation-$name"
          $BB chmod 0440 "/etc/sudoers.d/90-formation-$name"
          [ -x /usr/bin/sudo ] || echo "formation-warning: sudo:true for '$name' but sudo is not installed in the image (add INSTALL sudo)"
        fi
        [ -x "$shell" ] || echo "formation-warning: the shell '$shell' of '$name' does not exist in the image"
        home=/home/$name
        $BB mkdir -p "$home"
        [ -d /etc/skel ] && $BB cp -a /etc/skel/. "$home/"
        if [ -n "$keys" ]; then
          $BB mkdir -p "$home/.ssh"
          printf '%s\n' "$keys" > "$home/.ssh/authorized_keys"
          $BB chmod 0700 "$home/.ssh"; $BB chmod 0600 "$home/.ssh/authorized_keys"
        fi
        $BB chown -R "$uid:$uid" "$home"
        $BB chmod 0750 "$home"
        $BB mkdir -p /etc/ssh/sshd_config.d
        {
          [ "$pwauth" = 1 ] && echo "PasswordAuthentication yes" || echo "PasswordAuthentication no"
          [ "$noroot" = 1 ] && echo "PermitRootLogin no" || true
        } > /etc/ssh/sshd_config.d/90-formation.conf
        if [ "$noroot" = 1 ]; then $BB sed -i -e 's/^root:[^:]*:/root:*:/' /etc/shadow; fi
        echo "formation-user $name $uid"
        """;

    /// <summary>What the USER layer key covers besides the instruction: the script itself.</summary>
    public static string Recipe => Script;

    /// <summary>The argv (inside the image) that creates <paramref name="user"/>.</summary>
    public static IReadOnlyList<string> Argv(FormfileUser user, BaseImageKind baseKind)
    {
        var hash = user.Password switch
        {
            null => "!",
            _ when user.PasswordIsHash => user.Password,
            _ => Sha512Crypt.Hash(user.Password, Sha512Crypt.NewSalt()),
        };
        if (user.LockPassword && hash != "!")
        {
            hash = "!" + hash;
        }

        var shell = DefaultShell(user, baseKind);
        return
        [
            GuestInit.BusyboxPath, "sh", "-c", Script, "formation-user",
            user.Username, hash, shell, string.Join(',', user.Groups), user.Sudo ? "1" : "0",
            string.Join('\n', user.SshAuthorizedKeys), user.SshPasswordAuth ? "1" : "0", user.DisableRoot ? "1" : "0",
            user.ChpasswdExpire ? "1" : "0",
        ];
    }

    public static string DefaultShell(FormfileUser user, BaseImageKind baseKind) =>
        user.Shell ?? (baseKind == BaseImageKind.Tiny ? "/bin/sh" : "/bin/bash");
}
