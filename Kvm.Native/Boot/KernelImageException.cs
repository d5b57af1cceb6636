namespace Formation.Kvm.Native.Boot;

/// <summary>A kernel or initrd file cannot be booted; the message says what is wrong with it.</summary>
public sealed class KernelImageException(string message) : Exception(message);
