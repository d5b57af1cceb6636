namespace Formation.Kvm.Native.Devices;

/// <summary>An interrupt line into the guest's interrupt controllers (a GSI under KVM, a recorder in tests).</summary>
public interface IInterruptLine
{
    /// <summary>Drives the line. Edge-triggered consumers see a rising edge on false→true.</summary>
    void SetLevel(bool high);
}
