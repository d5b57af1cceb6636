using System.Diagnostics;
using Formation.Testing;
using Formation.Vms;

namespace Formation.Bench.Mesh;

/// <summary>
/// <c>form vm migrate</c> downtime with a real guest: hosts 1 and 2 run silos on the qemu driver (TCG here without
/// /dev/kvm), host 3 a client that sends a line every 10 ms over one TCP connection to the guest's echo server and
/// records the longest wait for an echo. Each run moves the VM to the other host; downtime is that longest wait during
/// the move (the last echo before it to the first after it, on the same connection). The anchor, measured in the same
/// run: what a move costs without migration — delete the VM and create it on the other node, until a new connection
/// from host 3 is echoed.
/// </summary>
public static class Migration
{
    private const string Formfile = """
        NAME echo
        FROM tiny
        EXPOSE 9000/tcp
        ENTRYPOINT ["/bin/busybox", "nc", "-ll", "-p", "9000", "-e", "/bin/cat"]
        """;

    // Echoes a line every 10 ms on one connection; each line read on stdin prints the longest wait since the last one.
    private const string Client = """
        import os, socket, sys, threading, time
        s = socket.create_connection((sys.argv[1], 9000), timeout=5)
        s.settimeout(300)
        lock = threading.Lock()
        state = {"last": time.monotonic(), "worst": 0.0, "echoes": 0}
        def pump():
            while True:
                s.sendall(b"x\n")
                got = b""
                while not got.endswith(b"\n"):
                    chunk = s.recv(64)
                    if not chunk:
                        print("closed", flush=True); os._exit(1)
                    got += chunk
                now = time.monotonic()
                with lock:
                    state["worst"] = max(state["worst"], now - state["last"]); state["last"] = now; state["echoes"] += 1
                time.sleep(0.01)
        threading.Thread(target=pump, daemon=True).start()
        print("connected", flush=True)
        for _ in sys.stdin:
            with lock:
                print("gap", round(state["worst"] * 1000), state["echoes"], flush=True); state["worst"] = 0.0
        """;

    public static async Task<int> RunAsync(int runs, bool liveOnTcg)
    {
        await using var hosts = await MeshHosts.CreateAsync("mesh-migration");
        var qemu = new Dictionary<string, string> { ["Formation__Qemu__LiveMigrationWithTcg"] = liveOnTcg ? "true" : "false" };
        Console.WriteLine($"  qemu: {(File.Exists("/dev/kvm") ? "kvm" : "tcg")}; live migration with tcg {(liveOnTcg ? "on" : "off (stop and copy without kvm)")}");
        await hosts.AddAsync(1, driver: "qemu", qemu);
        await hosts.AddAsync(2, driver: "qemu", qemu);
        await hosts.AddAsync(3);
        await hosts.WaitForFullMeshAsync([1, 2, 3], TimeSpan.FromMinutes(3));
        var context = Directory.CreateTempSubdirectory("formation-bench-migration");
        await File.WriteAllTextAsync(Path.Combine(context.FullName, "Formfile"), Formfile);
        var build = await FormAsync(hosts, "pack", "build", context.FullName, "--node", hosts.Underlay.NodeId(1));
        if (build.ExitCode != 0)
        {
            throw new InvalidOperationException($"building the echo image failed: {build}");
        }

        // Through the membership table: the silos listen on their hosts' underlay addresses, not on loopback.
        await using var connection = await Formation.Cli.Connection.ClusterConnection.ConnectAsync(
            new Formation.Connection.ConnectionSettings(Formation.Connection.ConnectionSettings.DefaultGateway, hosts.Cluster.Postgres, "formation", "formation",
                TimeSpan.FromSeconds(30), hosts.Cluster.AdminCredential), CancellationToken.None);
        var catalog = connection.Client.GetGrain<IVmCatalogGrain>(GrainKeys.Cluster);
        var spec = new VmSpec("mover", 1, 128, 1, "echo", hosts.Underlay.NodeId(1));
        var vm = await catalog.CreateVmAsync(spec);
        vm = await connection.Client.GetGrain<IVmGrain>(GrainKeys.Vm(vm.NodeId, vm.Id)).WaitForAsync(VmState.Running, VmWaits.MaxPatience);
        var client = await ConnectAsync(hosts, vm.Address!, TimeSpan.FromSeconds(90));
        Console.WriteLine($"  VM {vm.Id} ({spec.MemoryMiB} MiB, qemu) at {vm.Address} on {vm.NodeId}; a client on host 3 holds a connection to it");

        var samples = new List<(TimeSpan Command, TimeSpan Downtime)>();
        for (var run = 1; run <= runs; run++)
        {
            var to = hosts.Underlay.NodeId(run % 2 == 1 ? 2 : 1);
            var (_, echoesBefore) = await GapAsync(client); // resets the longest wait
            var clock = Stopwatch.StartNew();
            var moved = await catalog.MigrateVmAsync(vm.Id, to);
            var command = clock.Elapsed;
            var (downtime, echoes) = await GapAsync(client);
            var atReturn = echoes; // echoes before the pause count for nothing: wait for 20 after the command returned
            for (var wait = 0; echoes < atReturn + 20 && wait < 600; wait++)
            {
                await Task.Delay(100); // until echoes flow again: the gap is closed only by the first echo after the move
                var (gap, now) = await GapAsync(client);
                (downtime, echoes) = (gap > downtime ? gap : downtime, now);
            }

            if (echoes < atReturn + 20)
            {
                throw new InvalidOperationException($"the held connection carried no echoes for 60 s after the move ({echoes - echoesBefore} since it began)");
            }

            samples.Add((command, downtime));
            Console.WriteLine($"  run {run}: -> {to}: command {S(command)}, downtime on the held connection {S(downtime)} ({echoes - echoesBefore} echoes since), address {moved.Address}" +
                (moved.Address == vm.Address ? "" : $" (was {vm.Address}!)"));
        }

        // The anchor: the same move without migration (delete, create on the other node, until a new connection is echoed).
        var from = (await catalog.ResolveAsync(vm.Id)).NodeId;
        var other = from == hosts.Underlay.NodeId(1) ? hosts.Underlay.NodeId(2) : hosts.Underlay.NodeId(1);
        client.Kill();
        var anchor = Stopwatch.StartNew();
        await connection.Client.GetGrain<IVmGrain>(GrainKeys.Vm(from, vm.Id)).DeleteAsync();
        var fresh = await catalog.CreateVmAsync(spec with { Name = "mover-2", NodeConstraint = other });
        fresh = await connection.Client.GetGrain<IVmGrain>(GrainKeys.Vm(fresh.NodeId, fresh.Id)).WaitForAsync(VmState.Running, VmWaits.MaxPatience);
        var again = await ConnectAsync(hosts, fresh.Address!, TimeSpan.FromSeconds(90));
        var recreate = anchor.Elapsed;
        again.Kill();
        Console.WriteLine($"  anchor: delete and create on {other} until a new connection is echoed: {S(recreate)}");

        var downtimeMedian = Median(samples.Select(s => s.Downtime));
        var commandMedian = Median(samples.Select(s => s.Command));
        Console.WriteLine($"-- median of {runs}: downtime {S(downtimeMedian)}, migrate command {S(commandMedian)}; load average after: {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");
        Console.WriteLine($"  downtime / (delete + create elsewhere)   {downtimeMedian / recreate,5:0.00}");
        return 0;
    }

    private static async Task<Process> ConnectAsync(MeshHosts hosts, string address, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var info = new ProcessStartInfo("nsenter") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var part in hosts.Underlay.Enter(3).Skip(1).Concat(["python3", "-u", "-c", Client, address]))
            {
                info.ArgumentList.Add(part);
            }

            var process = Process.Start(info)!;
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                if (await process.StandardOutput.ReadLineAsync(wait.Token) == "connected")
                {
                    await Task.Delay(300);
                    if ((await GapAsync(process)).Echoes > 5)
                    {
                        return process;
                    }
                }
            }
            catch (OperationCanceledException)
            {
            }

            process.Kill();
            if (deadline.Elapsed > timeout)
            {
                throw new TimeoutException($"no echo from {address}:9000 from host 3 within {timeout.TotalSeconds:0} s: {await process.StandardError.ReadToEndAsync()}");
            }

            await Task.Delay(200);
        }
    }

    /// <summary>The longest wait for an echo since the last call, and how many echoes came so far.</summary>
    private static async Task<(TimeSpan Gap, long Echoes)> GapAsync(Process client)
    {
        await client.StandardInput.WriteLineAsync("gap");
        await client.StandardInput.FlushAsync();
        var line = await client.StandardOutput.ReadLineAsync() ?? throw new InvalidOperationException("the client ended");
        var parts = line.Split(' ');
        return parts[0] == "gap"
            ? (TimeSpan.FromMilliseconds(int.Parse(parts[1])), long.Parse(parts[2]))
            : throw new InvalidOperationException($"the client said '{line}'");
    }

    private static Task<FormProcess.Result> FormAsync(MeshHosts hosts, params string[] args) =>
        FormProcess.RunAsync([.. args, "--postgres", hosts.Cluster.Postgres],
            new Dictionary<string, string> { ["FORMATION_CREDENTIAL"] = hosts.Cluster.AdminCredential, ["FORM_LOCAL_API"] = "0" });

    private static TimeSpan Median(IEnumerable<TimeSpan> values)
    {
        var sorted = values.Order().ToList();
        return sorted[sorted.Count / 2];
    }

    private static string S(TimeSpan t) => $"{t.TotalSeconds:0.00} s";
}
