namespace Formation.Kvm.Native.Interop;

/// <summary>A system call failed; <see cref="ErrorNumber"/> is the errno.</summary>
public class NativeException(string operation, int errno, string? hint = null)
    : Exception(hint is null
        ? $"{operation} failed: {Errno.Describe(errno)}"
        : $"{operation} failed: {Errno.Describe(errno)}. {hint}")
{
    public string Operation { get; } = operation;

    public int ErrorNumber { get; } = errno;
}
