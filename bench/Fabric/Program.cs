using Formation.Bench.Fabric;

// Fabric benchmarks. Each prints its figures and a ratio against an anchor measured in the same run.
//   formation-bench-fabric scheduler [--nodes 1000] [--placements 20000] [--concurrency 64] [--rounds 3]   (identity on vs off)
//   formation-bench-fabric vm-list   [--vms 1000] [--runs 15]          (local API; Orleans client, identity on vs off)
//   formation-bench-fabric deploy    [--runs 5] [--vms 8]       (real VMs: qemu driver, guest kernel, root)
//   formation-bench-fabric jail-cost [--runs 7] [--kvm-runs 3]  (the same boots with the VM jail on and off, root)
var command = args.FirstOrDefault() ?? "all";
var options = BenchOptions.Parse(args.Skip(1).ToArray());
switch (command)
{
    case "scheduler":
        await SchedulerBench.RunAsync(options);
        break;
    case "vm-list":
        await VmListBench.RunAsync(options);
        break;
    case "deploy":
        await DeployBench.RunAsync(options);
        break;
    case "jail-cost":
        await JailCostBench.RunAsync(options);
        break;
    case "all":
        await SchedulerBench.RunAsync(options);
        await VmListBench.RunAsync(options);
        break;
    default:
        Console.Error.WriteLine($"unknown benchmark '{command}': use scheduler, vm-list, deploy, jail-cost or all");
        return 1;
}

return 0;
