using System.Diagnostics.Metrics;
using Formation.Vms;

namespace Formation.Silo.Metrics;

/// <summary>
/// The node's and its VMs' OpenTelemetry instruments (meter <see cref="MeterName"/>). Names follow the semantic
/// conventions where they exist (<c>system.*</c> for the host, <c>process.*</c> for each VM's process) and
/// <c>formation.*</c> otherwise. Every instrument is observable and reads the collector's last sample, so a scrape reads
/// no file; a VM that is gone from the sample is gone from the next scrape. Labels: the node, and a VM's id and name.
/// </summary>
public sealed class MetricsInstruments : IDisposable
{
    public const string MeterName = "Formation.Node";

    private readonly Meter _meter = new(MeterName, "1.0");
    private readonly MetricsCollector _collector;
    private readonly KeyValuePair<string, object?> _node;

    public MetricsInstruments(MetricsCollector collector, Nodes.LocalNode node)
    {
        _collector = collector;
        _node = new("formation.node", node.Identity.NodeId);
        CreateNodeInstruments();
        CreateVmInstruments();
    }

    public void Dispose() => _meter.Dispose();

    private void CreateNodeInstruments()
    {
        _meter.CreateObservableCounter("system.cpu.time", () => Node<double>(s => s.Node.Cpu.Modes().Select(m => M(m.Seconds, ("cpu.mode", m.Mode)))),
            "s", "CPU time of the host by mode");
        _meter.CreateObservableGauge("system.cpu.utilization", () => Node<double>(s => s.CpuUtilization.Select(m => M(m.Value, ("cpu.mode", m.Key)))),
            "1", "Share of all the host's CPUs in each mode over the last interval");
        _meter.CreateObservableUpDownCounter("system.cpu.logical.count", () => Node<long>(s => [M((long)s.Node.CpuCount)]), "{cpu}", "Logical CPUs");
        _meter.CreateObservableGauge("system.cpu.load_average.1m", () => Node<double>(s => [M(s.Node.Load.One)]), "{run_queue_item}", "Load average over 1 minute");
        _meter.CreateObservableGauge("system.cpu.load_average.5m", () => Node<double>(s => [M(s.Node.Load.Five)]), "{run_queue_item}", "Load average over 5 minutes");
        _meter.CreateObservableGauge("system.cpu.load_average.15m", () => Node<double>(s => [M(s.Node.Load.Fifteen)]), "{run_queue_item}", "Load average over 15 minutes");
        _meter.CreateObservableUpDownCounter("system.memory.usage", () => Node<long>(s =>
        [
            M(s.Node.Memory.Used, ("system.memory.state", "used")),
            M(s.Node.Memory.Free, ("system.memory.state", "free")),
            M(s.Node.Memory.Buffers, ("system.memory.state", "buffers")),
            M(s.Node.Memory.Cached, ("system.memory.state", "cached")),
        ]), "By", "Host memory by state");
        _meter.CreateObservableUpDownCounter("system.memory.limit", () => Node<long>(s => [M(s.Node.Memory.Total)]), "By", "Host memory in all");
        _meter.CreateObservableUpDownCounter("system.linux.memory.available", () => Node<long>(s => [M(s.Node.Memory.Available)]), "By",
            "Memory programs can still get without swapping (MemAvailable)");
        _meter.CreateObservableUpDownCounter("system.filesystem.usage", () => Node<long>(s =>
        [
            M(s.Node.Filesystem.Used, Fs(s, "used")),
            M(s.Node.Filesystem.Available, Fs(s, "free")),
            M(s.Node.Filesystem.Reserved, Fs(s, "reserved")),
        ]), "By", "Space of the data directory's file system by state");
        _meter.CreateObservableUpDownCounter("system.filesystem.limit", () => Node<long>(s => [M(s.Node.Filesystem.Total, Fs(s, null))]), "By",
            "Size of the data directory's file system");
        _meter.CreateObservableCounter("system.disk.io", () => Node<long>(s => s.Node.Disk is { } d
            ? [M(d.ReadBytes, Disk(s, "read")), M(d.WriteBytes, Disk(s, "write"))]
            : []), "By", "Bytes read and written on the data directory's device");
        _meter.CreateObservableCounter("system.disk.operations", () => Node<long>(s => s.Node.Disk is { } d
            ? [M(d.ReadOps, Disk(s, "read")), M(d.WriteOps, Disk(s, "write"))]
            : []), "{operation}", "Reads and writes completed on the data directory's device");
        _meter.CreateObservableCounter("system.network.io", () => Node<long>(s => s.Node.Interfaces.SelectMany(i => new[]
        {
            M(i.ReceiveBytes, Net(i.Name, "receive")), M(i.TransmitBytes, Net(i.Name, "transmit")),
        })), "By", "Bytes per interface and direction");
        _meter.CreateObservableCounter("system.network.packets", () => Node<long>(s => s.Node.Interfaces.SelectMany(i => new[]
        {
            M(i.ReceivePackets, Net(i.Name, "receive")), M(i.TransmitPackets, Net(i.Name, "transmit")),
        })), "{packet}", "Packets per interface and direction");
        _meter.CreateObservableCounter("system.network.errors", () => Node<long>(s => s.Node.Interfaces.SelectMany(i => new[]
        {
            M(i.ReceiveErrors, Net(i.Name, "receive")), M(i.TransmitErrors, Net(i.Name, "transmit")),
        })), "{error}", "Errors per interface and direction");
        _meter.CreateObservableCounter("system.network.dropped", () => Node<long>(s => s.Node.Interfaces.SelectMany(i => new[]
        {
            M(i.ReceiveDropped, Net(i.Name, "receive")), M(i.TransmitDropped, Net(i.Name, "transmit")),
        })), "{packet}", "Packets dropped per interface and direction");
        _meter.CreateObservableUpDownCounter("formation.node.vms", () => Node<long>(s => s.VmsByState
            .Where(v => v.Key != VmState.Deleted)
            .Select(v => M((long)v.Value, ("formation.vm.state", v.Key.ToString().ToLowerInvariant())))), "{vm}", "VMs the node holds by state");
        _meter.CreateObservableUpDownCounter("formation.node.vcpu.reserved", () => Node<long>(s => [M((long)s.Reserved.VCpus)]), "{vcpu}", "vCPUs its VMs reserve");
        _meter.CreateObservableUpDownCounter("formation.node.vcpu.allocatable", () => Node<long>(s => [M((long)s.Allocatable.VCpus)]), "{vcpu}", "vCPUs the node offers");
        _meter.CreateObservableUpDownCounter("formation.node.memory.reserved", () => Node<long>(s => [M(s.Reserved.MemoryMiB << 20)]), "By", "Memory its VMs reserve");
        _meter.CreateObservableUpDownCounter("formation.node.memory.allocatable", () => Node<long>(s => [M(s.Allocatable.MemoryMiB << 20)]), "By", "Memory the node offers");
        _meter.CreateObservableUpDownCounter("formation.node.disk.reserved", () => Node<long>(s => [M(s.Reserved.DiskGiB << 30)]), "By", "Disk its VMs reserve");
        _meter.CreateObservableUpDownCounter("formation.node.disk.allocatable", () => Node<long>(s => [M(s.Allocatable.DiskGiB << 30)]), "By", "Disk the node offers");
    }

    private void CreateVmInstruments()
    {
        _meter.CreateObservableUpDownCounter("formation.vm.vcpus", () => Vms<long>(v => [M((long)v.VCpus, Vm(v))]), "{vcpu}",
            "vCPUs of each VM the node holds (every VM, running or not)");
        _meter.CreateObservableUpDownCounter("formation.vm.memory.limit", () => Vms<long>(v => [M(v.MemoryMiB << 20, Vm(v))]), "By",
            "Guest memory of each VM the node holds");
        _meter.CreateObservableCounter("process.cpu.time", () => Vms<double>(v => v.HasProcess || v.CpuUserSeconds + v.CpuSystemSeconds > 0
            ? [M(v.CpuUserSeconds, Vm(v, ("cpu.mode", "user"))), M(v.CpuSystemSeconds, Vm(v, ("cpu.mode", "system")))]
            : []), "s", "CPU time of each VM (its cgroup, else its process), across restarts");
        _meter.CreateObservableGauge("process.cpu.utilization", () => Vms<double>(v => v.HasProcess ? [M(v.CpuUtilization, Vm(v))] : []),
            "1", "Share of each VM's vCPUs it kept busy over the last interval");
        _meter.CreateObservableUpDownCounter("process.memory.usage", () => Vms<long>(v => v.HasProcess ? [M(v.MemoryBytes, Vm(v))] : []),
            "By", "Resident memory of each VM's process");
        _meter.CreateObservableCounter("process.disk.io", () => Vms<long>(v => v.HasProcess || v.DiskReadBytes + v.DiskWriteBytes > 0
            ? [M(v.DiskReadBytes, Vm(v, ("disk.io.direction", "read"))), M(v.DiskWriteBytes, Vm(v, ("disk.io.direction", "write")))]
            : []), "By", "Bytes each VM's process read and wrote through the block layer, across restarts");
        _meter.CreateObservableCounter("formation.vm.disk.operations", () => Vms<long>(v => v.HasProcess || v.DiskReadOps + v.DiskWriteOps > 0
            ? [M(v.DiskReadOps, Vm(v, ("disk.io.direction", "read"), ("formation.vm.io.source", v.IoSource))),
               M(v.DiskWriteOps, Vm(v, ("disk.io.direction", "write"), ("formation.vm.io.source", v.IoSource)))]
            : []), "{operation}",
            "Reads and writes of each VM, across restarts: block requests of its cgroup (io.source cgroup), else read and write system calls of its process (io.source process)");
        _meter.CreateObservableCounter("formation.vm.boots", () => Vms<long>(v => [M(v.Boots, Vm(v))]), "{boot}",
            "Times each VM's process was started (first start, restarts and reboots)");
        _meter.CreateObservableCounter("formation.vm.restarts", () => Vms<long>(v => [M(v.Restarts, Vm(v))]), "{restart}",
            "Boots of each VM that followed an exit the node did not ask for (a crash, the guest rebooting or powering off, a boot timeout)");
        _meter.CreateObservableGauge("formation.vm.ready.time", () => Vms<double>(v => v.ReadyTime is { } t ? [M(t.TotalSeconds, Vm(v))] : []), "s",
            "How long each VM's last boot took from process start to the guest's readiness line");
        _meter.CreateObservableCounter("formation.vm.network.io", () => Vms<long>(v => v.NetworkReceiveBytes + v.NetworkTransmitBytes > 0 || v.HasProcess
            ? [M(v.NetworkReceiveBytes, Vm(v, ("network.io.direction", "receive"))), M(v.NetworkTransmitBytes, Vm(v, ("network.io.direction", "transmit")))]
            : []), "By", "Bytes each VM received and sent on its TAP (the guest's directions)");
        _meter.CreateObservableCounter("formation.vm.network.packets", () => Vms<long>(v => v.NetworkReceivePackets + v.NetworkTransmitPackets > 0 || v.HasProcess
            ? [M(v.NetworkReceivePackets, Vm(v, ("network.io.direction", "receive"))), M(v.NetworkTransmitPackets, Vm(v, ("network.io.direction", "transmit")))]
            : []), "{packet}", "Packets each VM received and sent on its TAP");
    }

    private IEnumerable<Measurement<T>> Node<T>(Func<MetricsSnapshot, IEnumerable<Measurement<T>>> read) where T : struct =>
        _collector.Latest is { } snapshot ? read(snapshot) : [];

    private IEnumerable<Measurement<T>> Vms<T>(Func<VmSnapshot, IEnumerable<Measurement<T>>> read) where T : struct =>
        _collector.Latest is { } snapshot ? snapshot.Vms.SelectMany(read) : [];

    private Measurement<T> M<T>(T value, params (string Key, string Value)[] tags) where T : struct =>
        M(value, tags.Select(t => new KeyValuePair<string, object?>(t.Key, t.Value)).ToArray());

    private Measurement<T> M<T>(T value, KeyValuePair<string, object?>[] tags) where T : struct => new(value, [_node, .. tags]);

    private static KeyValuePair<string, object?>[] Vm(VmSnapshot v, params (string Key, string Value)[] more) =>
    [
        new("formation.vm.id", v.VmId),
        new("formation.vm.name", v.Name),
        .. more.Select(t => new KeyValuePair<string, object?>(t.Key, t.Value)),
    ];

    private static KeyValuePair<string, object?>[] Fs(MetricsSnapshot s, string? state) =>
    [
        new("system.device", s.Node.Filesystem.Device),
        new("system.filesystem.mountpoint", s.Node.Filesystem.MountPoint),
        new("system.filesystem.type", s.Node.Filesystem.Type),
        .. state is null ? Array.Empty<KeyValuePair<string, object?>>() : [new("system.filesystem.state", state)],
    ];

    private static KeyValuePair<string, object?>[] Disk(MetricsSnapshot s, string direction) =>
        [new("system.device", s.Node.Filesystem.Device), new("disk.io.direction", direction)];

    private static KeyValuePair<string, object?>[] Net(string name, string direction) =>
        [new("network.interface.name", name), new("network.io.direction", direction)];
}
