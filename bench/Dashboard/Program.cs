using Formation.Bench.Dashboard;

// Dashboard benchmark: the VMs page with N simulated VMs in a real browser, against a static page anchor (same run).
//   formation-bench-dashboard [--vms 1000] [--runs 10]
var vms = Option(args, "--vms", 1000);
var runs = Option(args, "--runs", 10);
return await VmsPageBench.RunAsync(vms, runs);

static int Option(string[] args, string name, int fallback)
{
    var at = Array.IndexOf(args, name);
    return at >= 0 && at + 1 < args.Length && int.TryParse(args[at + 1], out var value) ? value : fallback;
}
