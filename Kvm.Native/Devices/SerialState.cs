namespace Formation.Kvm.Native.Devices;

/// <summary>A <see cref="Serial8250"/>'s registers and unread input, as a snapshot keeps them.</summary>
public sealed record SerialState(byte Ier, byte Lcr, byte Mcr, byte Scr, byte Dll, byte Dlm, bool FifoEnabled, bool ThrInterruptPending,
    byte[] Input);
