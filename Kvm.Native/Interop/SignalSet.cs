namespace Formation.Kvm.Native.Interop;

/// <summary>
/// Thread signal-mask helpers for kicking vCPU threads out of KVM_RUN without a signal handler:
/// the kick signal stays blocked in the vCPU thread, is unblocked only inside KVM_RUN
/// (KVM_SET_SIGNAL_MASK), and is consumed with sigtimedwait after KVM_RUN returns EINTR.
/// </summary>
public static unsafe class SignalSet
{
    /// <summary>glibc's sigset_t is 128 bytes; the kernel's (and KVM's) is 8.</summary>
    public const int LibcSize = 128;
    public const int KernelSize = 8;

    /// <summary>SIGUSR1: not used by the .NET runtime (it uses SIGRTMIN for activation injection).</summary>
    public const int KickSignal = 10;

    /// <summary>Blocks <paramref name="signal"/> in the calling thread; returns the previous kernel-sized mask.</summary>
    public static ulong BlockInCurrentThread(int signal)
    {
        var set = stackalloc byte[LibcSize];
        var old = stackalloc byte[LibcSize];
        new Span<byte>(set, LibcSize).Clear();
        new Span<byte>(old, LibcSize).Clear();
        *(ulong*)set = 1UL << (signal - 1);
        var r = Libc.pthread_sigmask(Libc.SIG_BLOCK, set, old);
        if (r != 0)
        {
            throw new NativeException("pthread_sigmask", r);
        }

        return *(ulong*)old;
    }

    /// <summary>Removes a pending <paramref name="signal"/> of the calling thread (it must be blocked). True if one was pending.</summary>
    public static bool ConsumePending(int signal)
    {
        var set = stackalloc byte[LibcSize];
        new Span<byte>(set, LibcSize).Clear();
        *(ulong*)set = 1UL << (signal - 1);
        var zero = new Libc.TimeSpec();
        var consumed = false;
        while (Libc.sigtimedwait(set, null, &zero) == signal)
        {
            consumed = true;
        }

        return consumed;
    }

    /// <summary>Sends <paramref name="signal"/> to one thread of this process.</summary>
    public static int TryKickThread(int tid, int signal)
    {
        return Libc.tgkill(Libc.getpid(), tid, signal) == 0 ? 0 : -System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
    }
}
