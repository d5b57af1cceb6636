using System.Diagnostics;
using Formation.Bench.Pack;
using Formation.Silo.Pack;

// Cold and cached build times of the tiny and Debian example images, as ratios against anchors measured in the
// same run. --sandbox-cost measures instead each case with the build sandbox's limits, INSTALL network namespace and
// build disk on and off (the benchmark-only PackOptions.BenchmarkWithoutSandbox), alternating, and prints on/off.
// --step-cost measures one sandboxed process with and without its step cgroup (the fixed cost each step pays).
// Usage: dotnet run -c Release --project bench/Pack [-- --skip-debian] [--fresh-debian-base] [--data DIR] [--sandbox-cost [--repeat N]] [--step-cost [--repeat N]]
var skipDebian = args.Contains("--skip-debian");
var sandboxCost = args.Contains("--sandbox-cost");
var repeatIndex = Array.IndexOf(args, "--repeat");
var costRepeat = repeatIndex >= 0 ? int.Parse(args[repeatIndex + 1], System.Globalization.CultureInfo.InvariantCulture) : 5;
var freshBase = args.Contains("--fresh-debian-base");
var dataIndex = Array.IndexOf(args, "--data");
var shared = dataIndex >= 0 ? args[dataIndex + 1] : "/var/tmp/formation-pack-bench";
if (Environment.UserName != "root")
{
    Console.Error.WriteLine("the image builder needs root (namespaces, overlayfs); run the benchmark as root");
    return 2;
}

using var context = Examples.CreateContext();
var anchors = new Anchors(context.Path);
var copyAnchor = await anchors.CopyTreeAsync();
var spawnAnchor = await anchors.SpawnTrueAsync();
Console.WriteLine($"anchors: cp -r context = {Ms(copyAnchor)}, spawn 'true' = {Ms(spawnAnchor)}");
Console.WriteLine();
if (args.Contains("--step-cost"))
{
    return await StepCost.RunAsync(costRepeat);
}

if (sandboxCost)
{
    return await SandboxCost.RunAsync(context.Path, shared, skipDebian, costRepeat, copyAnchor);
}

Console.WriteLine($"{"case",-44} {"time",10} {"x cp -r",9} {"x spawn",9}  steps run");

async Task Measure(string name, PackOptions options, string formfile, int repeat)
{
    var samples = new List<(TimeSpan Time, int Steps, bool Base)>();
    for (var i = 0; i < repeat; i++)
    {
        var text = formfile.Replace("{nonce}", Guid.NewGuid().ToString("N"));
        var progress = new StepCounter();
        var watch = Stopwatch.StartNew();
        await new ImageBuilder(options, new ImageStore(options)).BuildAsync(new BuildRequest(text, ContextDirectory: context.Path), progress);
        samples.Add((watch.Elapsed, progress.Executed, progress.BuiltBase));
    }

    var median = samples.OrderBy(s => s.Time).ElementAt(samples.Count / 2);
    var note = median.Base ? " (base built)" : "";
    Console.WriteLine($"{name,-44} {Ms(median.Time),10} {median.Time / copyAnchor,9:0.0} {median.Time / spawnAnchor,9:0.0}  {median.Steps}{note}");
}

// Tiny: cold = fresh data directory (base included); cached = unchanged rebuild.
var tinyData = Path.Combine(Path.GetTempPath(), "formation-pack-bench-tiny-" + Guid.NewGuid().ToString("N"));
try
{
    for (var i = 0; i < 3; i++)
    {
        await Measure($"tiny cold (fresh data dir) #{i + 1}", new PackOptions { DataDirectory = tinyData + "-" + i }, Examples.Tiny, 1);
    }

    var tiny = new PackOptions { DataDirectory = tinyData + "-0" };
    await Measure("tiny cached rebuild (median of 5)", tiny, Examples.Tiny, 5);
    await Measure("tiny changed last RUN (median of 3)", tiny, Examples.Tiny.Replace("built", "built {nonce}"), 3);
}
finally
{
    for (var i = 0; i < 3; i++)
    {
        HostDelete(tinyData + "-" + i);
    }
}

if (!skipDebian)
{
    // Debian: the base is built once per data directory (reported when this run had to build it).
    var debian = new PackOptions { DataDirectory = shared };
    if (freshBase)
    {
        var fresh = Path.Combine(Path.GetTempPath(), "formation-pack-bench-debian-" + Guid.NewGuid().ToString("N"));
        try
        {
            await Measure("debian from nothing (mmdebstrap base + image)", new PackOptions { DataDirectory = fresh }, Examples.Debian, 1);
        }
        finally
        {
            HostDelete(fresh);
        }
    }

    await Measure("debian first build in this data dir", debian, Examples.Debian, 1);
    await Measure("debian cold image (base cached)", debian, Examples.Debian.Replace("INSTALL python3", "RUN echo {nonce}\nINSTALL python3"), 1);
    await Measure("debian cached rebuild (median of 5)", debian, Examples.Debian, 5);
    await Measure("debian changed last RUN (median of 3)", debian,
        Examples.Debian.Replace("RUN chmod 0644 /app/server.py", "RUN chmod 0644 /app/server.py && echo {nonce} > /dev/null"), 3);
}

return 0;

static string Ms(TimeSpan t) => t.TotalSeconds >= 10 ? $"{t.TotalSeconds:0.0} s" : $"{t.TotalMilliseconds:0} ms";

static void HostDelete(string path)
{
    if (Directory.Exists(path))
    {
        Directory.Delete(path, recursive: true);
    }
}
