using Formation.Silo.Platform;
namespace Formation.Silo.Pack;

/// <summary>
/// Runs a command inside an image root, isolated from the host (<see cref="BuildSandbox"/>): a user namespace whose
/// root is an unprivileged host uid, new mount, PID, IPC, UTS and network namespaces (empty, or for INSTALL holding
/// an egress-only link of the <see cref="BuildNetwork"/>), in a cgroup with the step limits. The root is an overlay of the
/// cached layers (read-only) and the step's upper directory, mounted inside the private mount namespace, so nothing
/// stays mounted when the step ends — however it ends. /proc is mounted with the paths container runtimes protect
/// read-only or masked; /dev holds only bind mounts of the harmless host devices. The command runs chrooted
/// (libcap's <c>capsh</c>) with no_new_privs and without the capabilities that could leave the root.
/// </summary>
internal sealed class IsolatedRunner(PackPaths paths, PackOptions options)
{
    /// <summary>Set-up, run by the host's /bin/sh as root of the sandbox; then chroot into the image.</summary>
    private const string SetupScript = """
        set -eu
        layers=$1 lower=$2 upper=$3 work=$4 merged=$5 resolv=$6 caps=$7
        shift 7
        cd "$layers"
        mount -t overlay formation-pack -o "lowerdir=$lower,upperdir=$upper,workdir=$work,userxattr,index=off,metacopy=off" "$merged"
        cd /
        dir_ok() { [ -d "$merged/$1" ] && [ ! -L "$merged/$1" ]; }
        if dir_ok proc; then
          mount -t proc -o nosuid,nodev,noexec proc "$merged/proc"
          for p in sys sysrq-trigger irq bus fs; do
            if [ -e "$merged/proc/$p" ]; then
              mount --bind "$merged/proc/$p" "$merged/proc/$p"; mount -o remount,bind,ro,nosuid,nodev,noexec "$merged/proc/$p"
            fi
          done
          for p in kcore keys timer_list sched_debug kmsg; do
            if [ -e "$merged/proc/$p" ]; then mount --bind /dev/null "$merged/proc/$p"; fi
          done
          for p in acpi scsi; do
            if [ -d "$merged/proc/$p" ]; then mount -t tmpfs -o ro,size=0 formation-masked "$merged/proc/$p"; fi
          done
        fi
        if dir_ok dev; then
          mount -t tmpfs -o mode=0755,nosuid,size=8m formation-dev "$merged/dev"
          for d in null zero full random urandom tty; do
            : > "$merged/dev/$d"; mount --bind "/dev/$d" "$merged/dev/$d"
          done
          ln -s /proc/self/fd "$merged/dev/fd"; ln -s /proc/self/fd/0 "$merged/dev/stdin"
          ln -s /proc/self/fd/1 "$merged/dev/stdout"; ln -s /proc/self/fd/2 "$merged/dev/stderr"
          mkdir "$merged/dev/pts" "$merged/dev/shm"
        fi
        if dir_ok run; then mount -t tmpfs -o mode=0755,nosuid,size=64m formation-run "$merged/run"; fi
        if [ -n "$resolv" ] && dir_ok etc && [ -f "$merged/etc/resolv.conf" ] && [ ! -L "$merged/etc/resolv.conf" ]; then
          mount --bind -o ro "$resolv" "$merged/etc/resolv.conf"
        fi
        cd "$merged"
        shell=$1; shift
        exec capsh --no-new-privs --chroot="$merged" --drop="$caps" --shell="$shell" -- "$@"
        """;

    /// <summary>
    /// Capabilities removed from the step's bounding set before the command runs: no mounts, device nodes, chroot
    /// (no way back out of the image root), module loading, raw I/O or raw sockets, ptrace, file-handle opens, clock
    /// or reboot. What stays is what package installs need (chown, setuid/setgid, DAC override, fowner, kill...) —
    /// and all of it only over the sandbox's own user namespace, never over the host's files or devices.
    /// </summary>
    public const string DroppedCapabilities =
        "cap_dac_read_search,cap_linux_immutable,cap_net_broadcast,cap_net_admin,cap_net_raw,cap_ipc_lock,cap_ipc_owner,cap_sys_module,"
        + "cap_sys_rawio,cap_sys_chroot,cap_sys_ptrace,cap_sys_pacct,cap_sys_admin,cap_sys_boot,cap_sys_nice,cap_sys_resource,"
        + "cap_sys_time,cap_sys_tty_config,cap_mknod,cap_lease,cap_audit_control,cap_mac_override,cap_mac_admin,cap_syslog,"
        + "cap_wake_alarm,cap_block_suspend,cap_audit_read,cap_perfmon,cap_bpf,cap_checkpoint_restore";

    private readonly BuildSandbox _sandbox = new(options);
    private readonly BuildNetwork _network = new(options);

    public async Task<ProcessResult> RunAsync(IsolatedCommand command, Action<string>? onLine, CancellationToken cancellationToken)
    {
        var scratch = Path.GetDirectoryName(command.UpperDirectory)!;
        var work = Path.Combine(scratch, "overlay-work");
        var merged = Path.Combine(scratch, "merged");
        foreach (var directory in new[] { command.UpperDirectory, work, merged })
        {
            Directory.CreateDirectory(directory);
            _sandbox.Own(directory);
        }

        var hostNetwork = command.Network && options.BenchmarkWithoutSandbox;
        BuildNetworkLease? lease = null;
        try
        {
            // resolv.conf is bound read-only into the image: it must not lie on the build disk, whose nosuid/nodev a
            // read-only remount inside the user namespace could not keep (they are locked), so it goes in pack/tmp.
            lease = command.Network && !hostNetwork ? await _network.LeaseAsync(paths.NewTempDirectory("net"), cancellationToken) : null;
            var resolv = lease?.ResolvConf ?? (hostNetwork ? "/etc/resolv.conf" : "");
            string[] arguments = [paths.Layers, string.Join(':', command.LowerLayers.Select(k => k + "/root")), command.UpperDirectory, work, merged,
                resolv, DroppedCapabilities, .. command.Argv];
            return await _sandbox.RunAsync(scratch, SetupScript, arguments, lease, onLine, command.Environment, command.Stdin, cancellationToken, hostNetwork);
        }
        finally
        {
            if (lease is not null)
            {
                await lease.DisposeAsync();
            }

            HostPaths.DeleteTree(work);
            TryRemoveEmpty(merged);
        }
    }

    private static void TryRemoveEmpty(string directory)
    {
        try
        {
            Directory.Delete(directory);
        }
        catch (IOException)
        {
            // Still a mount point only if the namespace outlived us; it is torn down with its last process.
        }
    }

    /// <summary>The environment every step starts with (ENV variables are added on top).</summary>
    public static Dictionary<string, string> BaseEnvironment() => new(StringComparer.Ordinal)
    {
        ["PATH"] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        ["HOME"] = "/root",
        ["LANG"] = "C.UTF-8",
        ["TERM"] = "dumb",
    };
}
