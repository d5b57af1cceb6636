using System.Runtime.InteropServices;

namespace Formation.Kvm.Native.Interop;

/// <summary>What a seccomp rule does with one system call (x86-64 number <see cref="Number"/>).</summary>
public abstract record SeccompRule(int Number)
{
    /// <summary>Always allowed.</summary>
    public sealed record Allow(int Number) : SeccompRule(Number);

    /// <summary>Allowed when <c>(argument &amp; Mask) == Value</c> (the argument's low 32 bits); the process is killed otherwise.</summary>
    public sealed record AllowWhen(int Number, int Argument, uint Mask, uint Value) : SeccompRule(Number);

    /// <summary>Allowed unless the argument's low 32 bits are one of <see cref="Values"/>; the process is killed then.</summary>
    public sealed record AllowUnless(int Number, int Argument, uint[] Values) : SeccompRule(Number);

    /// <summary>Fails with <see cref="Errno"/> without running (for calls the C library retries another way, like clone3).</summary>
    public sealed record Fail(int Number, int Errno) : SeccompRule(Number);
}

/// <summary>
/// A seccomp allow-list as a classic BPF program (seccomp(2), <c>SECCOMP_SET_MODE_FILTER</c>): the architecture must be
/// x86-64 and the call number may not carry the x32 bit, then each rule is tried in turn; a call no rule names kills the
/// whole process (<c>SECCOMP_RET_KILL_PROCESS</c>, SIGSYS). Only the low 32 bits of arguments are compared, which is
/// every bit the kernel reads of the arguments the rules here look at (int, unsigned int, and clone's flags).
/// </summary>
public static unsafe class Seccomp
{
    public const uint AUDIT_ARCH_X86_64 = 0xC000003E;
    public const uint X32_SYSCALL_BIT = 0x40000000;
    public const uint SECCOMP_RET_KILL_PROCESS = 0x80000000;
    public const uint SECCOMP_RET_ERRNO = 0x00050000;
    public const uint SECCOMP_RET_ALLOW = 0x7fff0000;
    private const int SECCOMP_SET_MODE_FILTER = 1;
    private const int SECCOMP_FILTER_FLAG_TSYNC = 1;
    private const int PR_SET_NO_NEW_PRIVS = 38;
    private const long SYS_seccomp = 317;
    private const int BPF_MAXINSNS = 4096;

    // Classic BPF opcodes (linux/filter.h): load a word at an absolute offset of seccomp_data, AND, jumps, return.
    private const ushort LdAbs = 0x20, AndK = 0x54, JeqK = 0x15, JgeK = 0x35, RetK = 0x06;

    // struct seccomp_data: int nr; __u32 arch; __u64 instruction_pointer; __u64 args[6].
    private const uint NrOffset = 0, ArchOffset = 4, ArgsOffset = 16;

    /// <summary>One instruction (struct sock_filter).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public readonly record struct Instruction(ushort Code, byte JumpTrue, byte JumpFalse, uint K);

    [StructLayout(LayoutKind.Sequential)]
    private struct SockFprog
    {
        public ushort Length;
        public Instruction* Filter;
    }

    /// <summary>The program for <paramref name="rules"/> (each number at most once).</summary>
    public static Instruction[] Compile(IReadOnlyList<SeccompRule> rules)
    {
        var duplicate = rules.GroupBy(r => r.Number).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new ArgumentException($"system call {duplicate.Key} has more than one seccomp rule");
        }

        var program = new List<Instruction>
        {
            new(LdAbs, 0, 0, ArchOffset),
            new(JeqK, 1, 0, AUDIT_ARCH_X86_64),
            new(RetK, 0, 0, SECCOMP_RET_KILL_PROCESS),
            new(LdAbs, 0, 0, NrOffset),
            new(JgeK, 0, 1, X32_SYSCALL_BIT),
            new(RetK, 0, 0, SECCOMP_RET_KILL_PROCESS),
        };
        foreach (var rule in rules)
        {
            // Every block ends in a return, so the accumulator it clobbers is never read by the next rule: the next
            // rule is only reached by jumping over the whole block while the call number is still loaded.
            var block = Block(rule);
            program.Add(new(JeqK, 0, checked((byte)block.Count), (uint)rule.Number));
            program.AddRange(block);
        }

        program.Add(new(RetK, 0, 0, SECCOMP_RET_KILL_PROCESS));
        return program.Count <= BPF_MAXINSNS ? [.. program] : throw new ArgumentException($"the seccomp program has {program.Count} instructions, more than {BPF_MAXINSNS}");
    }

    private static List<Instruction> Block(SeccompRule rule) => rule switch
    {
        SeccompRule.Allow => [new(RetK, 0, 0, SECCOMP_RET_ALLOW)],
        SeccompRule.Fail f => [new(RetK, 0, 0, SECCOMP_RET_ERRNO | (uint)f.Errno)],
        SeccompRule.AllowWhen w =>
        [
            new(LdAbs, 0, 0, ArgOffset(w.Argument)),
            new(AndK, 0, 0, w.Mask),
            new(JeqK, 0, 1, w.Value),
            new(RetK, 0, 0, SECCOMP_RET_ALLOW),
            new(RetK, 0, 0, SECCOMP_RET_KILL_PROCESS),
        ],
        SeccompRule.AllowUnless u =>
        [
            new(LdAbs, 0, 0, ArgOffset(u.Argument)),
            .. u.Values.Select((v, i) => new Instruction(JeqK, checked((byte)(u.Values.Length - i)), 0, v)),
            new(RetK, 0, 0, SECCOMP_RET_ALLOW),
            new(RetK, 0, 0, SECCOMP_RET_KILL_PROCESS),
        ],
        _ => throw new ArgumentException($"unknown seccomp rule {rule}"),
    };

    private static uint ArgOffset(int argument) =>
        argument is >= 0 and < 6 ? ArgsOffset + (8 * (uint)argument) : throw new ArgumentOutOfRangeException(nameof(argument));

    /// <summary>
    /// Sets <c>no_new_privs</c> and installs <paramref name="program"/> on every thread of the process (TSYNC), for good:
    /// nothing can remove a seccomp filter. Throws naming the failing step.
    /// </summary>
    public static void Install(Instruction[] program)
    {
        if (Libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        {
            throw new NativeException("prctl(PR_SET_NO_NEW_PRIVS)", Marshal.GetLastPInvokeError());
        }

        fixed (Instruction* filter = program)
        {
            var fprog = new SockFprog { Length = checked((ushort)program.Length), Filter = filter };
            var r = Libc.syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &fprog);
            if (r < 0)
            {
                throw new NativeException("seccomp(SECCOMP_SET_MODE_FILTER)", Marshal.GetLastPInvokeError());
            }

            if (r > 0)
            {
                throw new InvalidOperationException($"seccomp(SECCOMP_FILTER_FLAG_TSYNC): thread {r} could not take the filter");
            }
        }
    }
}
