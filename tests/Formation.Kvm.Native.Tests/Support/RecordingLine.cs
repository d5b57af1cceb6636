using Formation.Kvm.Native.Devices;

namespace Formation.Kvm.Native.Tests.Support;

/// <summary>An interrupt line that records every level change.</summary>
internal sealed class RecordingLine : IInterruptLine
{
    public List<bool> Changes { get; } = [];

    public bool Level { get; private set; }

    public int RisingEdges => Changes.Count(c => c);

    public void SetLevel(bool high)
    {
        Level = high;
        Changes.Add(high);
    }
}
