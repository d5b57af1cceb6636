using Formation.Metrics;
using Formation.Silo.Vms;

namespace Formation.Silo.Metrics;

/// <summary>One VM's counters (made monotonic) and its history, from the first sample that saw it until it is gone.</summary>
public sealed class VmTrack(VmCensusEntry entry, int historyPoints)
{
    private readonly MonotonicCounter _user = new(), _system = new(), _read = new(), _write = new(), _readOps = new(), _writeOps = new();
    private readonly MonotonicCounter _rxBytes = new(), _txBytes = new(), _rxPackets = new(), _txPackets = new();
    private readonly Ring<VmMetricsPoint> _history = new(historyPoints);
    private (DateTimeOffset At, double Cpu, double Read, double Write, double Rx, double Tx)? _last;
    private string _ioSource = "process";

    public VmCensusEntry Entry { get; private set; } = entry;

    public VmSnapshot Snapshot { get; private set; } = new(entry.VmId, entry.Name, entry.State, entry.VCpus, entry.MemoryMiB, false, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);

    /// <summary>Adds a sample: the census entry now and what could be read of the VM (null: nothing runs).</summary>
    public void Add(DateTimeOffset at, VmCensusEntry entry, VmReading? reading)
    {
        Entry = entry;
        if (reading?.Cpu is { } cpu)
        {
            _user.Observe(cpu.UserSeconds, reading.Generation);
            _system.Observe(cpu.SystemSeconds, reading.Generation);
        }

        if (reading?.Io is { } io)
        {
            // A change of source (the VM got a cgroup, or lost it) starts the raw counters over, like a new process.
            var generation = reading.Generation + "/" + reading.IoSource;
            _read.Observe(io.ReadBytes, generation);
            _write.Observe(io.WriteBytes, generation);
            _readOps.Observe(io.ReadOps, generation);
            _writeOps.Observe(io.WriteOps, generation);
            _ioSource = reading.IoSource;
        }

        if (reading?.Tap is { } tap)
        {
            // The TAP's receive side is what the guest sent, and the other way round.
            _rxBytes.Observe(tap.TransmitBytes, tap.Name);
            _txBytes.Observe(tap.ReceiveBytes, tap.Name);
            _rxPackets.Observe(tap.TransmitPackets, tap.Name);
            _txPackets.Observe(tap.ReceivePackets, tap.Name);
        }

        var cpuTotal = _user.Total + _system.Total;
        double utilization = 0, readRate = 0, writeRate = 0, rxRate = 0, txRate = 0;
        if (_last is { } last && (at - last.At).TotalSeconds is var seconds and > 0)
        {
            utilization = reading?.Cpu is null ? 0 : (cpuTotal - last.Cpu) / seconds / Math.Max(1, entry.VCpus);
            readRate = (_read.Total - last.Read) / seconds;
            writeRate = (_write.Total - last.Write) / seconds;
            rxRate = (_rxBytes.Total - last.Rx) / seconds;
            txRate = (_txBytes.Total - last.Tx) / seconds;
        }

        _last = (at, cpuTotal, _read.Total, _write.Total, _rxBytes.Total, _txBytes.Total);
        var memory = reading?.ResidentBytes ?? 0;
        Snapshot = new VmSnapshot(entry.VmId, entry.Name, entry.State, entry.VCpus, entry.MemoryMiB, reading?.Cpu is not null, _user.Total, _system.Total, utilization, memory,
            (long)_read.Total, (long)_write.Total, (long)_rxBytes.Total, (long)_txBytes.Total, (long)_rxPackets.Total, (long)_txPackets.Total,
            (long)_readOps.Total, (long)_writeOps.Total, _ioSource, entry.Boots, entry.Restarts, entry.ReadyTime);
        _history.Add(new VmMetricsPoint(at, utilization, cpuTotal, memory, readRate, writeRate, rxRate, txRate));
    }

    public VmMetrics History(string nodeId, int count) =>
        new(Entry.VmId, Entry.Name, nodeId, Entry.State, Entry.VCpus, Entry.MemoryMiB, _history.Last(count));
}
