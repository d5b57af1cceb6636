using System.Text.RegularExpressions;
using Formation.Kvm.Native.Interop;
using Formation.Vmm;

namespace Formation.Kvm.Native.Tests.Vmm;

/// <summary>
/// formation-vmm's seccomp program, run through a classic-BPF interpreter over <c>struct seccomp_data</c> (what the kernel
/// does with it is proven by <see cref="Machine.FormationVmmJailTests"/>), and its syscall numbers against the kernel's.
/// </summary>
public sealed partial class SeccompPolicyTests
{
    private const uint AuditArchI386 = 0x40000003;
    private static readonly Seccomp.Instruction[] Program = Seccomp.Compile(VmmSeccompPolicy.Rules);

    private static int Nr(string name) => VmmSeccompPolicy.Numbers.TryGetValue(name, out var n) ? n : Kernel.Value[name];

    [Theory]
    [InlineData("read")]
    [InlineData("futex")]
    [InlineData("mmap")]
    [InlineData("epoll_wait")]
    [InlineData("rt_sigreturn")]
    [InlineData("fallocate")]
    [InlineData("exit_group")]
    public void EverydayCalls_AreAllowed(string name) => Assert.Equal(Seccomp.SECCOMP_RET_ALLOW, Run(Nr(name)));

    [Theory]
    [InlineData("execve")]
    [InlineData("execveat")]
    [InlineData("ptrace")]
    [InlineData("mount")]
    [InlineData("umount2")]
    [InlineData("unshare")]
    [InlineData("setns")]
    [InlineData("bpf")]
    [InlineData("kexec_load")]
    [InlineData("kexec_file_load")]
    [InlineData("init_module")]
    [InlineData("finit_module")]
    [InlineData("open_by_handle_at")]
    [InlineData("process_vm_readv")]
    [InlineData("process_vm_writev")]
    [InlineData("keyctl")]
    [InlineData("add_key")]
    [InlineData("perf_event_open")]
    [InlineData("userfaultfd")]
    [InlineData("io_uring_setup")]
    [InlineData("setuid")]
    [InlineData("setresuid")]
    [InlineData("chroot")]
    [InlineData("pivot_root")]
    [InlineData("fsopen")]
    [InlineData("bind")]
    [InlineData("connect")]
    [InlineData("fork")]
    [InlineData("vfork")]
    [InlineData("reboot")]
    public void DangerousCalls_KillTheProcess(string name) => Assert.Equal(Seccomp.SECCOMP_RET_KILL_PROCESS, Run(Nr(name)));

    [Fact]
    public void OtherArchitecturesAndX32Calls_KillTheProcess()
    {
        Assert.Equal(Seccomp.SECCOMP_RET_KILL_PROCESS, Run(Nr("read"), arch: AuditArchI386));
        Assert.Equal(Seccomp.SECCOMP_RET_KILL_PROCESS, Run(Nr("read") | (int)Seccomp.X32_SYSCALL_BIT));
        Assert.Equal(Seccomp.SECCOMP_RET_KILL_PROCESS, Run(Nr("write") | (int)Seccomp.X32_SYSCALL_BIT));
    }

    [Fact]
    public void Sockets_OnlyUnix()
    {
        Assert.Equal(Seccomp.SECCOMP_RET_ALLOW, Run(Nr("socket"), 1 /* AF_UNIX */, 1));
        Assert.Equal(Seccomp.SECCOMP_RET_KILL_PROCESS, Run(Nr("socket"), 2 /* AF_INET */, 1));
        Assert.Equal(Seccomp.SECCOMP_RET_KILL_PROCESS, Run(Nr("socket"), 10 /* AF_INET6 */, 1));
        Assert.Equal(Seccomp.SECCOMP_RET_KILL_PROCESS, Run(Nr("socket"), 16 /* AF_NETLINK */, 3));
        Assert.Equal(Seccomp.SECCOMP_RET_KILL_PROCESS, Run(Nr("socket"), 17 /* AF_PACKET */, 3));
    }

    [Fact]
    public void Clone_ThreadsOnly_NoNamespaces_Clone3FallsBack()
    {
        const ulong Thread = 0x3d0f00; // glibc's pthread_create: VM|FS|FILES|SIGHAND|THREAD|SYSVSEM|SETTLS|PARENT_SETTID|CHILD_CLEARTID
        Assert.Equal(Seccomp.SECCOMP_RET_ALLOW, Run(Nr("clone"), Thread));
        Assert.Equal(Seccomp.SECCOMP_RET_KILL_PROCESS, Run(Nr("clone"), 0x11 /* fork: SIGCHLD */));
        Assert.Equal(Seccomp.SECCOMP_RET_KILL_PROCESS, Run(Nr("clone"), Thread | 0x10000000 /* CLONE_NEWUSER */));
        Assert.Equal(Seccomp.SECCOMP_RET_KILL_PROCESS, Run(Nr("clone"), Thread | 0x40000000 /* CLONE_NEWNET */));
        Assert.Equal(Seccomp.SECCOMP_RET_ERRNO | 38 /* ENOSYS */, Run(Nr("clone3")));
    }

    [Fact]
    public void Ioctl_AnyButTerminalInjection()
    {
        Assert.Equal(Seccomp.SECCOMP_RET_ALLOW, Run(Nr("ioctl"), 9, 0xAE80 /* KVM_RUN */));
        Assert.Equal(Seccomp.SECCOMP_RET_ALLOW, Run(Nr("ioctl"), 9, 0x400454CA /* TUNSETIFF */));
        Assert.Equal(Seccomp.SECCOMP_RET_KILL_PROCESS, Run(Nr("ioctl"), 0, 0x5412 /* TIOCSTI */));
        Assert.Equal(Seccomp.SECCOMP_RET_KILL_PROCESS, Run(Nr("ioctl"), 0, 0x541C /* TIOCLINUX */));
        Assert.Equal(Seccomp.SECCOMP_RET_KILL_PROCESS, Run(Nr("ioctl"), 0, 0x1_0000_5412 /* high bits are not read by the kernel */));
    }

    [Fact]
    public void Numbers_MatchTheKernelHeader()
    {
        foreach (var (name, number) in VmmSeccompPolicy.Numbers)
        {
            Assert.True(Kernel.Value.TryGetValue(name, out var expected), $"{name} is not in <asm/unistd_64.h>");
            Assert.True(expected == number, $"{name}: policy {number}, kernel {expected}");
        }
    }

    [Fact]
    public void Compile_RefusesTwoRulesForOneCall() =>
        Assert.Throws<ArgumentException>(() => Seccomp.Compile([new SeccompRule.Allow(0), new SeccompRule.Fail(0, 1)]));

    private static readonly Lazy<Dictionary<string, int>> Kernel = new(() =>
    {
        const string Header = "/usr/include/x86_64-linux-gnu/asm/unistd_64.h";
        Prerequisites.RequireFile(Header, "linux-libc-dev");
        return NrDefine().Matches(File.ReadAllText(Header)).ToDictionary(m => m.Groups[1].Value, m => int.Parse(m.Groups[2].Value));
    });

    [GeneratedRegex(@"#define __NR_(\w+) (\d+)")]
    private static partial Regex NrDefine();

    /// <summary>Runs the program over one seccomp_data (nr, arch, args) as the kernel's classic-BPF interpreter would.</summary>
    private static uint Run(int nr, ulong arg0 = 0, ulong arg1 = 0, uint arch = Seccomp.AUDIT_ARCH_X86_64)
    {
        var data = new byte[64];
        BitConverter.TryWriteBytes(data.AsSpan(0), nr);
        BitConverter.TryWriteBytes(data.AsSpan(4), arch);
        BitConverter.TryWriteBytes(data.AsSpan(16), arg0);
        BitConverter.TryWriteBytes(data.AsSpan(24), arg1);
        uint a = 0;
        for (var pc = 0; pc < Program.Length; pc++)
        {
            var i = Program[pc];
            switch (i.Code)
            {
                case 0x20: a = BitConverter.ToUInt32(data, (int)i.K); break; // ld [k]
                case 0x54: a &= i.K; break; // and #k
                case 0x15: pc += a == i.K ? i.JumpTrue : i.JumpFalse; break; // jeq #k
                case 0x35: pc += a >= i.K ? i.JumpTrue : i.JumpFalse; break; // jge #k
                case 0x06: return i.K; // ret #k
                default: throw new InvalidOperationException($"opcode {i.Code:x} at {pc}");
            }
        }

        throw new InvalidOperationException("the program fell off its end");
    }
}
