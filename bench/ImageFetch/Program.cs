using System.Diagnostics;
using System.Formats.Tar;
using System.Security.Cryptography;
using Formation;
using Formation.Bench.FrontDoor;
using Formation.Grains.Images;
using Formation.Images;
using Formation.Scheduling;
using Formation.Testing;

// An image fetched between two nodes (two formation-silo processes in one cluster on this machine, PostgreSQL, sim
// driver) vs the anchor: curl of the same file over the same path (loopback TCP from an HTTP server on the source's
// image directory into the receiving node's scratch space), in the same run. Both read a source file in the page cache.
// The fetch also does what curl does not: it negotiates in grain calls (manifest, ticket), carries the bytes over the
// source's image stream with mutual TLS (curl: plain HTTP), verifies the manifest and the file's digest, fsyncs, and
// renames into the store; that is all part of what is measured.
// The first fetch of a silo's life also pays for JIT of the fetch path: --warmup fetches run first and are not counted.
// A silo just started spends a minute or more of CPU tiering up its code (Orleans, hosting: perf put the runtime's
// tiered-compilation thread at a third of each silo's CPU during fetches right after start, 6-12 % after a 2-minute
// wait): before the fetches the bench waits until each silo uses under 100 ms of CPU per second idle, or --settle
// seconds. On a loaded machine that is often met within seconds, before the tiering is over; --settle with a higher
// threshold is not offered, a longer --warmup is what helps then.
//   formation-bench-imagefetch [--mib 256] [--runs 3] [--warmup 1] [--settle 60]
var options = args.Chunk(2).Where(p => p.Length == 2).ToDictionary(p => p[0].TrimStart('-'), p => p[1]);
var mib = int.Parse(options.GetValueOrDefault("mib", "256"));
var runs = int.Parse(options.GetValueOrDefault("runs", "3"));
var warmup = int.Parse(options.GetValueOrDefault("warmup", "1"));
var settle = int.Parse(options.GetValueOrDefault("settle", "60"));
const string Reference = "fetch-bench:latest";

Console.WriteLine($"== image fetch: {mib} MiB of random data in a tiny image, 2 silos (cluster mode, PostgreSQL, sim driver), {Environment.ProcessorCount} cores, {runs} runs each");
await using var cluster = await BenchCluster.StartAsync(2);
await using var connection = await cluster.ConnectAsync();
var client = connection.Client;
var (source, target) = (cluster.Silos[0].Options.NodeId, cluster.Silos[1].Options.NodeId);
var until = DateTime.UtcNow.AddSeconds(60);
while ((await client.GetGrain<ISchedulerGrain>(GrainKeys.Cluster).ListNodesAsync()).Count(n => n.Health == Formation.Nodes.NodeHealth.Healthy) < 2)
{
    if (DateTime.UtcNow > until)
    {
        throw new TimeoutException("the two nodes did not register within 60 s");
    }

    await Task.Delay(250);
}

// Incompressible and without holes, so neither side can take a shortcut.
var manifest = await BuildAsync(client, source, $"NAME fetch-bench\nFROM tiny\nRUN head -c {(long)mib << 20} /dev/urandom > /blob\n");
var bytes = manifest.RootFilesystem.SizeBytes;
var imageDir = Path.Combine(cluster.Silos[0].Options.DataDirectory, "images", manifest.Digest["sha256:".Length..]);
var scratch = Path.Combine(cluster.Silos[1].Options.DataDirectory, "pack", "tmp");
Directory.CreateDirectory(scratch);
Console.WriteLine($"image {ImageReference.Short(manifest.Digest)} on {source}: {manifest.RootFilesystem.FileName}, {bytes / 1048576.0:0.0} MiB");

var (senderPid, receiverPid) = (cluster.Silos[0].Pid, cluster.Silos[1].Pid);
var settling = Stopwatch.StartNew();
double senderIdle, receiverIdle;
do
{
    var (sender0, receiver0) = (CpuSeconds(senderPid).Own, CpuSeconds(receiverPid).Own);
    await Task.Delay(2000);
    (senderIdle, receiverIdle) = ((CpuSeconds(senderPid).Own - sender0) / 2, (CpuSeconds(receiverPid).Own - receiver0) / 2);
}
while (Math.Max(senderIdle, receiverIdle) > 0.1 && settling.Elapsed.TotalSeconds < settle);
Console.WriteLine($"silos idle after {settling.Elapsed.TotalSeconds:0} s: sender {senderIdle * 1000:0} ms, receiver {receiverIdle * 1000:0} ms of CPU per second");

var store = client.GetGrain<INodeImageStoreGrain>(ImageKeys.NodeStore(target));
var targetImageDir = Path.Combine(cluster.Silos[1].Options.DataDirectory, "images", manifest.Digest["sha256:".Length..]);
var fetches = new List<double>();
var (senderCpu, receiverCpu) = (0.0, 0.0);
for (var i = -warmup; i < runs; i++)
{
    // The previous run's copy (fetched: untagged), straight from the target's disk: removing through its store is node-only.
    // The record still names the source only.
    if (Directory.Exists(targetImageDir))
    {
        Directory.Delete(targetImageDir, recursive: true);
    }

    var (sender0, receiver0) = (CpuSeconds(senderPid).Own, CpuSeconds(receiverPid).Own);
    var clock = Stopwatch.StartNew();
    var result = await store.EnsureAsync(Reference, manifest.Digest);
    clock.Stop();
    var (sender1, receiver1) = (CpuSeconds(senderPid).Own - sender0, CpuSeconds(receiverPid).Own - receiver0);
    if (!result.Succeeded || !result.Fetched || result.Bytes != bytes)
    {
        throw new InvalidOperationException($"run {i + 1}: the fetch did not fetch the whole image: {result}");
    }

    if (i >= 0)
    {
        fetches.Add(clock.Elapsed.TotalSeconds);
        (senderCpu, receiverCpu) = (senderCpu + sender1, receiverCpu + receiver1);
    }

    Console.WriteLine($"  fetch {(i < 0 ? "warm-up" : $"run {i + 1}")}: {clock.Elapsed.TotalMilliseconds,7:0} ms   {bytes / 1048576.0 / clock.Elapsed.TotalSeconds,7:0} MiB/s" +
        $"   cpu sender {sender1:0.00} s, receiver {receiver1:0.00} s   (of it: verifying and storing {result.Verifying.TotalMilliseconds:0} ms; {result.Transport})");
}

var port = FreePorts.Next();
using var server = Process.Start(new ProcessStartInfo("python3", ["-m", "http.server", "--bind", "127.0.0.1", port.ToString(), "--directory", imageDir])
{
    RedirectStandardOutput = true,
    RedirectStandardError = true,
})!;
var curls = new List<double>();
var (serverCpu, curlCpu) = (0.0, 0.0);
try
{
    await WaitForPortAsync(port);
    for (var i = 0; i < runs; i++)
    {
        var output = Path.Combine(scratch, "curl-" + manifest.RootFilesystem.FileName);
        var (server0, curl0) = (CpuSeconds(server.Id).Own, CpuSeconds(Environment.ProcessId).Reaped);
        var clock = Stopwatch.StartNew();
        using (var curl = Process.Start("curl", ["-sS", "--fail", "-o", output, $"http://127.0.0.1:{port}/{manifest.RootFilesystem.FileName}"]))
        {
            await curl.WaitForExitAsync();
            clock.Stop();
            if (curl.ExitCode != 0 || new FileInfo(output).Length != bytes)
            {
                throw new InvalidOperationException($"curl run {i + 1} failed (exit {curl.ExitCode})");
            }
        }

        // The reaped children of this process: curl (waited for above) and nothing else that ends during the run.
        var (server1, curl1) = (CpuSeconds(server.Id).Own - server0, CpuSeconds(Environment.ProcessId).Reaped - curl0);
        (serverCpu, curlCpu) = (serverCpu + server1, curlCpu + curl1);
        File.Delete(output);
        curls.Add(clock.Elapsed.TotalSeconds);
        Console.WriteLine($"  curl  run {i + 1}: {clock.Elapsed.TotalMilliseconds,7:0} ms   {bytes / 1048576.0 / clock.Elapsed.TotalSeconds,7:0} MiB/s   cpu server {server1:0.00} s, curl {curl1:0.00} s");
    }
}
finally
{
    server.Kill();
    await server.WaitForExitAsync();
}

var fetchRate = bytes / 1048576.0 / Median(fetches);
var curlRate = bytes / 1048576.0 / Median(curls);
var ratio = fetchRate / curlRate;
Console.WriteLine($"-- median: fetch {fetchRate:0} MiB/s, curl {curlRate:0} MiB/s; load average while measuring: {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");
// CPU seconds per GiB moved, summed over the counted runs: unlike MiB/s, it does not move with what else runs on a shared machine.
var gib = bytes * (double)runs / (1L << 30);
Console.WriteLine($"  cpu per GiB: fetch sender {senderCpu / gib:0.00} s + receiver {receiverCpu / gib:0.00} s = {(senderCpu + receiverCpu) / gib:0.00} s;" +
    $" http server {serverCpu / gib:0.00} s + curl {curlCpu / gib:0.00} s = {(serverCpu + curlCpu) / gib:0.00} s");
Console.WriteLine($"  fetch / curl   {ratio,5:0.00}   (goal >= 0.8: {(ratio >= 0.8 ? "met" : "NOT met")})");
return ratio >= 0.8 ? 0 : 1;

static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);

static async Task<ImageManifest> BuildAsync(IClusterClient client, string nodeId, string formfile)
{
    var session = client.GetGrain<IImageBuildGrain>(ImageKeys.NewBuildSession(nodeId));
    await session.OpenAsync(new ImageBuildRequest(formfile, "Formfile", Reference));
    byte[] tar;
    using (var buffer = new MemoryStream())
    {
        await using (new TarWriter(buffer, leaveOpen: true))
        {
        }

        tar = buffer.ToArray();
    }

    await session.UploadAsync(0, tar);
    var update = await session.StartAsync(tar.Length, Convert.ToHexStringLower(SHA256.HashData(tar)));
    while (!update.IsFinished)
    {
        update = await session.WatchAsync(update.NextIndex, TimeSpan.FromSeconds(5));
    }

    return update.Manifest ?? throw new InvalidOperationException($"the build ended {update.Phase}: {update.Failure}");
}

// utime+stime and cutime+cstime of a process in seconds (/proc/<pid>/stat, USER_HZ = 100), as bench/FrontDoor/CpuMeter does.
static (double Own, double Reaped) CpuSeconds(int pid)
{
    var text = File.ReadAllText($"/proc/{pid}/stat");
    var f = text[(text.LastIndexOf(')') + 2)..].Split(' ');
    return ((long.Parse(f[11]) + long.Parse(f[12])) / 100.0, (long.Parse(f[13]) + long.Parse(f[14])) / 100.0);
}

static async Task WaitForPortAsync(int port)
{
    var until = DateTime.UtcNow.AddSeconds(10);
    while (true)
    {
        try
        {
            using var tcp = new System.Net.Sockets.TcpClient();
            await tcp.ConnectAsync(System.Net.IPAddress.Loopback, port);
            return;
        }
        catch (System.Net.Sockets.SocketException) when (DateTime.UtcNow < until)
        {
            await Task.Delay(100);
        }
    }
}
