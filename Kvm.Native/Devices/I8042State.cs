namespace Formation.Kvm.Native.Devices;

/// <summary>An <see cref="I8042Controller"/>'s registers and its output queue (bytes, and whether each came from the AUX port).</summary>
public sealed record I8042State(byte Ctr, byte Status, byte PendingCommand, byte PendingKbdCommand, byte[] Output, bool[] OutputAux);
