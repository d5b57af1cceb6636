using Formation.Bench.Mesh;

// The WireGuard mesh between simulated hosts (network namespaces on this machine, each with its own formation-silo in
// cluster mode on a private PostgreSQL), against anchors measured in the same run. Needs root, iperf3, wg, wireguard-go.
//   formation-bench-mesh --throughput [--seconds 10] [--runs 3] [--streams 1]
//       iperf3 host 1 -> host 2 over the Formation overlay vs the raw underlay veth and vs a wireguard-go tunnel
//       configured by hand with wg on the same underlay (the anchor for the overlay's overhead: goal >= 0.95 of it)
//   formation-bench-mesh --convergence [--hosts 5] [--runs 3]
//       a new node's silo start -> its key is a peer on every other host (goal <= 5 s); anchor: the silo's own start
//   formation-bench-mesh --migration [--runs 3] [--live-on-tcg 1]
//       form vm migrate of a real (qemu) guest between hosts: downtime on a TCP connection held from a third host;
//       anchor: deleting it and creating it on the other node until a new connection is served. Without /dev/kvm the
//       guest moves by stop and copy unless --live-on-tcg 1 (Qemu:LiveMigrationWithTcg: live, for the figure only)
var mode = args.FirstOrDefault(a => a is "--throughput" or "--convergence" or "--migration");
var options = args.Where(a => a != mode).Chunk(2).Where(p => p.Length == 2).ToDictionary(p => p[0].TrimStart('-'), p => int.Parse(p[1]));
if (mode is null || Environment.UserName != "root")
{
    Console.Error.WriteLine(mode is null ? "say --throughput, --convergence or --migration (see bench/Mesh/Program.cs)" : "needs root (network namespaces, WireGuard interfaces)");
    return 2;
}

var kernelModule = File.Exists("/sys/module/wireguard/initstate") ? "the kernel has a wireguard module" : "no kernel wireguard module: wireguard-go";
Console.WriteLine($"== mesh {mode[2..]}: {Environment.ProcessorCount} cores, load average {File.ReadAllText("/proc/loadavg").Trim()}, {kernelModule}");
return mode switch
{
    "--throughput" => await Throughput.RunAsync(options.GetValueOrDefault("seconds", 10), options.GetValueOrDefault("runs", 3), options.GetValueOrDefault("streams", 1)),
    "--migration" => await Migration.RunAsync(options.GetValueOrDefault("runs", 3), options.GetValueOrDefault("live-on-tcg", 0) == 1),
    _ => await Convergence.RunAsync(options.GetValueOrDefault("hosts", 5), options.GetValueOrDefault("runs", 3)),
};
