namespace Formation.Kvm.Native.Machine;

/// <summary>Nested-PVM compatibility: <c>Auto</c> applies it only when the host is detected as nested PVM.</summary>
public enum CompatMode
{
    Auto,
    On,
    Off,
}
