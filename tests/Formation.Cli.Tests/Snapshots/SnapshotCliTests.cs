using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Formation.Cli.Tests.Deploy;

namespace Formation.Cli.Tests.Snapshots;

/// <summary>
/// `form vm snapshot|restore` and `form snapshot list|delete` against a real silo on the qemu driver, with a tiny guest
/// that keeps counting in a shell variable and prints each value: a restore goes on from the snapshot's count, and each
/// wrong request (unknown snapshot, another VM's, another driver's, a VM not running, a name taken; a clone of an unknown
/// snapshot, on another node, of another size) is refused saying why. A clone of the snapshot counts on from its count.
/// </summary>
[Trait("Category", "Slow")]
public sealed partial class SnapshotCliTests : IAsyncLifetime
{
    private const string NodeId = "cli-snap";
    private readonly TestDirectory _scratch = new("snapshot-cli");
    private SiloProcess? _silo;

    [Fact]
    public async Task SnapshotRestore_CountingGuest_GoesOnFromTheSnapshotAndRefusesWrongRequests()
    {
        TestEnvironment.RequireBuilder();
        TestEnvironment.RequireQemu();
        TestEnvironment.RequireFormationKernel();
        _scratch.Write("app/Formfile",
            "NAME counter\nFROM tiny\nENTRYPOINT [\"/bin/sh\", \"-c\", \"n=0; while :; do n=$((n+1)); echo snapcount=$n; sleep 0.2; done\"]\n");
        _silo = await SiloProcess.StartAsync(new SiloProcessOptions(NodeId, Path.Combine(_scratch.Path, "data")) { Driver = "qemu" });
        var gw = _silo.Gateway;
        Ok(await Form("pack", "build", Path.Combine(_scratch.Path, "app"), "--gateway", gw));
        Ok(await Form("vm", "create", "--name", "c1", "--vcpus", "1", "--memory", "128", "--image", "counter", "--gateway", gw));
        Ok(await Form("vm", "create", "--name", "c2", "--vcpus", "1", "--memory", "128", "--image", "counter", "--gateway", gw));
        await WaitForCountAsync("c1", 5);

        var before = (await CountsAsync("c1"))[^1];
        var snap = await Form("vm", "snapshot", "c1", "--name", "s1", "--gateway", gw);
        var after = (await CountsAsync("c1"))[^1];
        Ok(snap);
        Assert.Contains("Snapshot s1", snap.Out);
        Assert.Contains("the VM is running", snap.Out);

        var list = await Form("snapshot", "list", "--gateway", gw);
        Ok(list);
        Assert.Contains("s1", list.Out);
        Assert.Contains(NodeId, list.Out);
        Assert.Contains("No snapshots", (await Form("snapshot", "list", "--vm", "c2", "--gateway", gw)).Out);
        using (var json = JsonDocument.Parse((await Form("snapshot", "list", "--vm", "c1", "--json", "--gateway", gw)).Out))
        {
            var only = Assert.Single(json.RootElement.EnumerateArray());
            Assert.Equal("s1", only.GetProperty("name").GetString());
            Assert.Equal("qemu", only.GetProperty("driver").GetString());
            Assert.True(only.GetProperty("stateBytes").GetInt64() > 0);
        }

        var events = await Form("vm", "events", "c1", "--gateway", gw);
        Assert.Contains("Running -> Paused  taking snapshot s1", events.Out);
        Assert.Contains("Paused -> Running  snapshot s1", events.Out);

        // Wrong requests, each refused with its reason and the VM untouched.
        Refused(await Form("vm", "restore", "c1", "nope", "--gateway", gw), "has no snapshot 'nope'");
        Refused(await Form("vm", "restore", "c2", "s1", "--gateway", gw), "is of VM c1");
        Refused(await Form("vm", "snapshot", "c1", "--name", "s1", "--gateway", gw), "already exists");
        Refused(await Form("vm", "snapshot", "c1", "--name", "Bad_Name", "--gateway", gw), "is not valid");
        ForgeOtherDriverSnapshot("s1", "s-kvm");
        Refused(await Form("vm", "restore", "c1", "s-kvm", "--gateway", gw), "taken with the kvm driver");
        Ok(await Form("vm", "stop", "c2", "--gateway", gw));
        Refused(await Form("vm", "snapshot", "c2", "--gateway", gw), "it is Stopped");
        Refused(await Form("vm", "create", "--name", "c3", "--from-snapshot", "nope", "--gateway", gw), "no node holds a snapshot 'nope'");
        Refused(await Form("vm", "create", "--name", "c3", "--from-snapshot", "s1", "--node", "elsewhere", "--gateway", gw), "there is no node 'elsewhere'");
        Refused(await Form("vm", "create", "--name", "c3", "--from-snapshot", "s-kvm", "--gateway", gw), "taken with the kvm driver");
        Refused(await Form("vm", "create", "--name", "c3", "--from-snapshot", "s1", "--memory", "256", "--gateway", gw), "128 MiB of memory");
        Refused(await Form("vm", "create", "--name", "c3", "--image", "counter", "--gateway", gw), "--vcpus is required");
        Assert.Contains("Running", (await Form("vm", "show", "c1", "--gateway", gw)).Out);

        // A clone: a new VM that goes on counting from the snapshot's count, in its own console.
        var clone = await Form("vm", "create", "--name", "c3", "--from-snapshot", "s1", "--gateway", gw);
        Ok(clone);
        Assert.Contains("Created VM c3", clone.Out);
        Assert.Contains("cloned from snapshot s1", (await Form("vm", "events", "c3", "--gateway", gw)).Out);
        await WaitForCountAsync("c3", after + 3);
        Assert.InRange((await CountsAsync("c3"))[0], before + 1, after + 2);

        // The VM goes well past the snapshot; the restore brings it back to it.
        await WaitForCountAsync("c1", after + 10);
        var reached = (await CountsAsync("c1"))[^1];
        var restore = await Form("vm", "restore", "c1", "s1", "--gateway", gw);
        Ok(restore);
        Assert.Contains("restored from snapshot s1", restore.Out);
        var resumedAt = await FirstCountAfterRestoreAsync("c1", reached);
        Assert.InRange(resumedAt, before + 1, after + 2);

        // --stop leaves it Stopped; a restore brings a stopped VM back too.
        var stopped = await Form("vm", "snapshot", "c1", "--name", "s2", "--stop", "--gateway", gw);
        Ok(stopped);
        Assert.Contains("the VM is stopped", stopped.Out);
        Assert.Contains("Stopped", (await Form("vm", "show", "c1", "--gateway", gw)).Out);
        Ok(await Form("vm", "restore", "c1", "s2", "--gateway", gw));
        Assert.Contains("Running", (await Form("vm", "show", "c1", "--gateway", gw)).Out);

        var delete = await Form("snapshot", "delete", "s1", "--gateway", gw);
        Ok(delete);
        Assert.Contains("Deleted snapshot s1", delete.Out);
        Assert.DoesNotContain(" s1 ", (await Form("snapshot", "list", "--gateway", gw)).Out);
        Refused(await Form("snapshot", "delete", "s1", "--gateway", gw), "there is no snapshot 's1'");
    }

    /// <summary>A copy of a stored snapshot whose manifest says another driver took it (what a kvm node's snapshot would be).</summary>
    private void ForgeOtherDriverSnapshot(string source, string name)
    {
        var root = Path.Combine(_scratch.Path, "data", "snapshots");
        var original = Directory.EnumerateDirectories(root).Single(d => File.ReadAllText(Path.Combine(d, "manifest.json")).Contains($"\"name\": \"{source}\""));
        var id = new string('0', 32);
        var copy = Path.Combine(root, id);
        Directory.CreateDirectory(copy);
        var manifest = File.ReadAllText(Path.Combine(original, "manifest.json"))
            .Replace($"\"name\": \"{source}\"", $"\"name\": \"{name}\"").Replace("\"driver\": \"qemu\"", "\"driver\": \"kvm\"")
            .Replace($"\"id\": \"{Path.GetFileName(original)}\"", $"\"id\": \"{id}\"");
        File.WriteAllText(Path.Combine(copy, "manifest.json"), manifest);
    }

    private async Task<IReadOnlyList<long>> CountsAsync(string vm)
    {
        var logs = await Form("vm", "logs", vm, "--gateway", _silo!.Gateway);
        return [.. Count().Matches(logs.Out).Select(m => long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture))];
    }

    private async Task WaitForCountAsync(string vm, long value)
    {
        var deadline = DateTime.UtcNow.AddMinutes(3);
        while ((await CountsAsync(vm)) is var counts && (counts.Count == 0 || counts[^1] < value))
        {
            Assert.True(DateTime.UtcNow < deadline, $"VM {vm} did not count to {value}");
            await Task.Delay(500);
        }
    }

    /// <summary>The first count the console shows after it dropped back below <paramref name="reached"/> (the restore).</summary>
    private async Task<long> FirstCountAfterRestoreAsync(string vm, long reached)
    {
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (true)
        {
            var counts = await CountsAsync(vm);
            for (var i = 1; i < counts.Count; i++)
            {
                if (counts[i] < counts[i - 1] && counts[i - 1] >= reached)
                {
                    return counts[i];
                }
            }

            Assert.True(DateTime.UtcNow < deadline, $"VM {vm} never counted again below {reached}: {string.Join(',', counts.TakeLast(20))}");
            await Task.Delay(500);
        }
    }

    private static void Ok(FormRun run) => Assert.True(run.ExitCode == 0, run.ToString());

    private static void Refused(FormRun run, string reason)
    {
        Assert.True(run.ExitCode != 0, run.ToString());
        Assert.Contains(reason, run.Error);
    }

    private static Task<FormRun> Form(params string[] args) => FormRun.ProcessAsync(args);

    [GeneratedRegex(@"snapcount=(\d+)")]
    private static partial Regex Count();

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        await QemuTestSilo.DisposeAsync(_silo, _scratch.Path, NodeId);
        _scratch.Dispose();
    }
}
