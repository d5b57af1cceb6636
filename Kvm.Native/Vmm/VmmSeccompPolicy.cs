using Formation.Kvm.Native.Interop;

namespace Formation.Vmm;

/// <summary>
/// formation-vmm's seccomp allow-list, installed once the VM is set up and before its first guest instruction (as
/// Firecracker does). Found by tracing real boots (strace -f) and kept generous for the .NET runtime (GC, thread pool,
/// JIT, sockets): what the VMM needs after set-up is file-descriptor I/O on what it already holds (KVM, TAP, disk, console
/// log, control socket, the vsock device's hybrid socket — accept4, recv, send and shutdown on its clients; both
/// listening sockets are bound before the jail), memory management, threads and signals. Anything not listed kills the process with SIGSYS —
/// among them execve/execveat, ptrace, mount, unshare/setns, bpf, kexec, module loading, open_by_handle_at,
/// process_vm_*, keyctl, perf_event_open, userfaultfd, io_uring, the set*id calls, chroot, bind/listen/connect, and
/// sockets of any family but AF_UNIX. Writing a snapshot (openat with O_CREAT in the directory it is handed, ftruncate,
/// pwrite64, flock, fsync, getdents64 to check it is empty) needs nothing beyond this list: FormationVmmSnapshotTests
/// snapshots and restores through the jailed process.
/// </summary>
public static class VmmSeccompPolicy
{
    private const uint AF_UNIX = 1;
    private const uint CLONE_THREAD = 0x00010000;

    /// <summary>CLONE_NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET and NEWTIME: no new namespaces.</summary>
    private const uint CloneNewNamespaces = 0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000 | 0x20000000 | 0x40000000 | 0x00000080;

    /// <summary>ioctls that reach beyond the process through a terminal: TIOCSTI (type into it) and TIOCLINUX.</summary>
    private const uint TIOCSTI = 0x5412, TIOCLINUX = 0x541C;

    private const int ENOSYS = 38;

    /// <summary>The x86-64 numbers of the calls the policy names (checked against &lt;asm/unistd_64.h&gt; by a test).</summary>
    public static IReadOnlyDictionary<string, int> Numbers { get; } = new Dictionary<string, int>
    {
        ["read"] = 0, ["write"] = 1, ["readv"] = 19, ["writev"] = 20, ["pread64"] = 17, ["pwrite64"] = 18, ["preadv"] = 295,
        ["pwritev"] = 296, ["preadv2"] = 327, ["pwritev2"] = 328, ["lseek"] = 8, ["close"] = 3, ["open"] = 2, ["openat"] = 257,
        ["newfstatat"] = 262, ["fstat"] = 5, ["stat"] = 4, ["lstat"] = 6, ["statx"] = 332, ["statfs"] = 137, ["fstatfs"] = 138,
        ["readlink"] = 89, ["readlinkat"] = 267, ["access"] = 21, ["faccessat"] = 269, ["faccessat2"] = 439, ["getdents64"] = 217,
        ["fcntl"] = 72, ["flock"] = 73, ["dup"] = 32, ["dup2"] = 33, ["dup3"] = 292, ["pipe2"] = 293, ["ftruncate"] = 77,
        ["fallocate"] = 285, ["fsync"] = 74, ["fdatasync"] = 75, ["fadvise64"] = 221, ["unlink"] = 87, ["unlinkat"] = 263,
        ["getcwd"] = 79, ["mmap"] = 9, ["munmap"] = 11, ["mprotect"] = 10, ["madvise"] = 28, ["mremap"] = 25, ["brk"] = 12,
        ["msync"] = 26, ["mincore"] = 27, ["memfd_create"] = 319, ["membarrier"] = 324, ["get_mempolicy"] = 239, ["futex"] = 202,
        ["futex_waitv"] = 449, ["set_robust_list"] = 273, ["rseq"] = 334, ["set_tid_address"] = 218, ["clone"] = 56, ["clone3"] = 435,
        ["exit"] = 60, ["exit_group"] = 231, ["gettid"] = 186, ["getpid"] = 39, ["getppid"] = 110, ["tgkill"] = 234, ["tkill"] = 200,
        ["kill"] = 62, ["sched_yield"] = 24, ["sched_getaffinity"] = 204, ["sched_setaffinity"] = 203, ["sched_setscheduler"] = 144,
        ["sched_getscheduler"] = 145, ["sched_getparam"] = 143, ["sched_setparam"] = 142, ["sched_get_priority_max"] = 146,
        ["sched_get_priority_min"] = 147, ["sched_getattr"] = 315, ["getcpu"] = 309, ["rt_sigaction"] = 13, ["rt_sigprocmask"] = 14,
        ["rt_sigreturn"] = 15, ["rt_sigtimedwait"] = 128, ["rt_sigsuspend"] = 130, ["rt_sigpending"] = 127, ["sigaltstack"] = 131,
        ["restart_syscall"] = 219, ["clock_gettime"] = 228, ["clock_getres"] = 229, ["clock_nanosleep"] = 230, ["nanosleep"] = 35,
        ["gettimeofday"] = 96, ["time"] = 201, ["epoll_create1"] = 291, ["epoll_ctl"] = 233, ["epoll_wait"] = 232,
        ["epoll_pwait"] = 281, ["epoll_pwait2"] = 441, ["poll"] = 7, ["ppoll"] = 271, ["select"] = 23, ["pselect6"] = 270,
        ["eventfd2"] = 290, ["socket"] = 41, ["accept4"] = 288, ["accept"] = 43, ["recvmsg"] = 47, ["recvfrom"] = 45,
        ["sendmsg"] = 46, ["sendto"] = 44, ["shutdown"] = 48, ["getsockopt"] = 55, ["setsockopt"] = 54, ["getsockname"] = 51,
        ["getpeername"] = 52, ["getuid"] = 102, ["geteuid"] = 107, ["getgid"] = 104, ["getegid"] = 108, ["getresuid"] = 118,
        ["getresgid"] = 120, ["getgroups"] = 115, ["getrusage"] = 98, ["sysinfo"] = 99, ["uname"] = 63, ["prlimit64"] = 302,
        ["getrlimit"] = 97, ["getrandom"] = 318, ["getsid"] = 124, ["prctl"] = 157, ["arch_prctl"] = 158, ["capget"] = 125,
        ["ioctl"] = 16,

        // Not seen in traces here, allowed so that the runtime cannot trip over them on other hosts: NUMA placement of
        // the GC's own memory (NUMA hosts), CPU times and the priority of its own threads.
        ["mbind"] = 237, ["set_mempolicy"] = 238, ["times"] = 100, ["getpriority"] = 140, ["setpriority"] = 141,
    };

    /// <summary>The rules, in the order the filter tries them (the hottest calls first). Calls allowed outright are also
    /// cached by the kernel (seccomp's constant-action bitmap), so only ioctl, clone and socket run the program.</summary>
    public static IReadOnlyList<SeccompRule> Rules { get; } = Build();

    private static List<SeccompRule> Build()
    {
        int N(string name) => Numbers[name];
        var rules = new List<SeccompRule>
        {
            // KVM_RUN, irqfd/ioeventfd set-up and TAP ioctls: any request but the two that write into a terminal.
            new SeccompRule.AllowUnless(N("ioctl"), 1, [TIOCSTI, TIOCLINUX]),
            // Threads only (CLONE_THREAD, no new namespaces): no forked process, no namespace to escape into.
            new SeccompRule.AllowWhen(N("clone"), 0, CLONE_THREAD | CloneNewNamespaces, CLONE_THREAD),
            // clone3 passes its flags in memory a filter cannot read: glibc falls back to clone on ENOSYS.
            new SeccompRule.Fail(N("clone3"), ENOSYS),
            new SeccompRule.AllowWhen(N("socket"), 0, 0xffffffff, AF_UNIX),
        };
        // ioctl (KVM_RUN, once per exit to the VMM) is tried first; the calls allowed outright follow, I/O first.
        var special = rules.Select(r => r.Number).ToHashSet();
        rules.InsertRange(1, Numbers.Values.Where(n => !special.Contains(n)).Select(n => new SeccompRule.Allow(n)));
        return rules;
    }
}
