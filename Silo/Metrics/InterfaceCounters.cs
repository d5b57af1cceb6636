namespace Formation.Silo.Metrics;

/// <summary>One network interface's counters from <c>/proc/net/dev</c>.</summary>
public sealed record InterfaceCounters(
    string Name, long ReceiveBytes, long ReceivePackets, long ReceiveErrors, long ReceiveDropped,
    long TransmitBytes, long TransmitPackets, long TransmitErrors, long TransmitDropped);
