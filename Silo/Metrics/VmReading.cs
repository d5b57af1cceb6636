namespace Formation.Silo.Metrics;

/// <summary>
/// What one read of a VM's process, cgroup and TAP found (raw: they start again with every process). Null parts could not
/// be read (no process runs, or the host lacks the file).
/// </summary>
/// <param name="Generation">Which process the counters belong to: pid and start time, and where CPU came from.</param>
/// <param name="IoSource">Where <paramref name="Io"/> came from: <c>cgroup</c> (block I/O of the VM's cgroup: bytes and
/// requests that reached a device) or <c>process</c> (<c>/proc/PID/io</c>: block-layer bytes, but read and write system
/// calls as operations).</param>
public sealed record VmReading(
    string Generation,
    CgroupCpu? Cpu,
    long ResidentBytes,
    DiskCounters? Io,
    InterfaceCounters? Tap,
    string IoSource = "process");
