using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using Formation.Silo.Hypervisors;
using Formation.Silo.Pack;
using Formation.Silo.Tests.Deploy;
using Formation.Silo.Tests.Hypervisors;
using Formation.Silo.Tests.Processes;
using Formation.Vms;

namespace Formation.Silo.Tests.Sandbox;

/// <summary>
/// Finding 7 for qemu, performed: a real TCG guest prints numbers to its console as fast as it can, on a silo whose
/// console logs are capped at 1 MiB. While it floods, its log never occupies more than the cap plus what the guest prints
/// between two trims; <c>form vm logs</c> prints the newest output without a gap and says how much older output was
/// dropped, and <c>form vm logs --follow</c> keeps following across trims.
/// </summary>
[Trait("Category", "Slow")]
public sealed partial class ConsoleFloodTests(DeployFixture fixture) : IClassFixture<DeployFixture>
{
    private const long Cap = 1 << 20;
    private const string FloodImage = "flood:1";

    private const string FloodFormfile = """
        NAME flood
        FROM tiny
        CONSOLE none
        ENTRYPOINT ["/bin/busybox", "seq", "1", "2000000000"]
        """;

    [Fact]
    public async Task QemuGuestFloodsItsConsole_LogStaysWithinItsCap_AndFormVmLogsShowsTheNewestOutput()
    {
        DeployFixture.RequireEnvironment();
        var data = Path.Combine(fixture.Root, "flood-" + Guid.NewGuid().ToString("N")[..6]);
        var pack = new PackOptions { DataDirectory = data };
        await new ImageBuilder(pack, new ImageStore(pack)).BuildAsync(new BuildRequest(FloodFormfile, Tag: FloodImage), null, TestContext.Current.CancellationToken);
        var options = fixture.Silo("cap-flood", data, ("Formation__Vms__ConsoleLogMaxBytes", Cap.ToString(System.Globalization.CultureInfo.InvariantCulture)));

        await using var silo = await SiloProcess.StartAsync(options);
        await using var client = await ClusterClient.ViaGatewayAsync(options.GatewayPort, asNode: true);
        var created = await DeployFixture.CreateAsync(client.Client, new VmSpec("flood-1", 1, 256, 1, FloodImage, null));
        var vm = client.Client.GetGrain<IVmGrain>(GrainKeys.Vm(created.NodeId, created.Id));
        var log = VmDirectory.For(data, created.Id).ConsoleLog;
        try
        {
            await Eventually.HoldsAsync(() => vm.GetAsync(), v => v.State is VmState.Running or VmState.Failed, TimeSpan.FromSeconds(180), "the guest is up");
            Assert.Equal(VmState.Running, (await vm.GetAsync()).State);

            // Flood until the guest has written three caps' worth (a trim at every half cap past the first), watching what
            // the log occupies all along. Under TCG the guest's UART manages some tens of KiB/s.
            var clock = Stopwatch.StartNew();
            var startLength = ConsoleLog.Length(log);
            var largest = 0L;
            while (ConsoleLog.Length(log) < 3 * Cap)
            {
                Assert.True(clock.Elapsed < TimeSpan.FromMinutes(4), $"the guest wrote only {ConsoleLog.Length(log)} bytes in 4 minutes");
                largest = Math.Max(largest, ConsoleLogTests.Allocated(log));
                await Task.Delay(20, TestContext.Current.CancellationToken);
            }

            var rate = (ConsoleLog.Length(log) - startLength) / clock.Elapsed.TotalSeconds;
            TestContext.Current.SendDiagnosticMessage($"the guest floods its console at {rate / 1024:0} KiB/s; the log occupied at most {largest} bytes");

            // The documented slack: what the guest prints in one trim interval (250 ms); doubled for a loaded machine.
            var slack = (long)(rate * 0.5) + 64 * 1024;
            Assert.True(largest <= Cap + slack, $"the log occupied {largest} bytes; cap {Cap} + slack {slack}");

            var logs = await FormProcess.RunAsync(["vm", "logs", created.Id, "--gateway", silo.Gateway], cancellationToken: TestContext.Current.CancellationToken);
            Assert.True(logs.ExitCode == 0, logs.ToString());
            Assert.Contains("of older console output are no longer kept", logs.Error);
            var numbers = Numbers(logs.Out);
            Assert.True(numbers.Count > 10_000, $"form vm logs printed {numbers.Count} numbers");
            AssertConsecutiveExceptAnnouncedGaps(numbers, logs.Error);
            Assert.InRange(Encoding.UTF8.GetByteCount(logs.Out), Cap / 2, Cap + slack + 512 * 1024);

            // --follow from the start: it is told about the dropped output, then keeps reading while the log is trimmed under it.
            using var follow = FormProcess.Start(["vm", "logs", created.Id, "--follow", "--gateway", silo.Gateway]);
            var followed = follow.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
            var followErrors = follow.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
            var until = ConsoleLog.Length(log) + Cap / 2;
            await Eventually.TrueAsync(() => ConsoleLog.Length(log) > until, TimeSpan.FromMinutes(2), "the guest writes another half cap (a trim) while form follows");
            await Task.Delay(1000, TestContext.Current.CancellationToken);
            if (follow.HasExited)
            {
                Assert.Fail("form vm logs --follow ended on its own: " + await followErrors);
            }

            follow.Kill();
            var following = Numbers(await followed);
            Assert.Contains("of older console output are no longer kept", await followErrors);
            AssertConsecutiveExceptAnnouncedGaps(following, await followErrors);
            Assert.True(following.Count > Cap / 20, $"--follow printed {following.Count} lines ({following[0]}..{following[^1]}), less than half a cap's worth");
        }
        finally
        {
            await vm.DeleteAsync();
        }
    }

    /// <summary>The whole numbers on the lines of <paramref name="text"/>, leaving out a cut first or last line.</summary>
    private static List<long> Numbers(string text)
    {
        var lines = text.Replace("\r", "").Split('\n');
        return lines.Skip(1).SkipLast(1).Where(l => Digits().IsMatch(l)).Select(long.Parse).ToList();
    }

    /// <summary>
    /// The numbers run on without a gap or a repeat — except where the node dropped output before the reader got to it (a
    /// trim overtaking a reader that started at the oldest kept byte), which <c>form vm logs</c> announces on stderr and
    /// starts on a line of its own. Such a gap leaves at most two cut lines (the last before it, the first after it) and
    /// only ever skips forward.
    /// </summary>
    private static void AssertConsecutiveExceptAnnouncedGaps(List<long> numbers, string errors)
    {
        Assert.NotEmpty(numbers);
        var announced = errors.Split('\n').Count(l => l.Contains(Formation.Cli.Commands.VmLogsCommand.GapNote, StringComparison.Ordinal));
        var runs = new List<(long First, long Last, int Count)>();
        foreach (var n in numbers)
        {
            if (runs.Count > 0 && runs[^1].Last + 1 == n)
            {
                runs[^1] = (runs[^1].First, n, runs[^1].Count + 1);
            }
            else
            {
                runs.Add((n, n, 1));
            }
        }

        // Cut lines are runs of one number; what is left are the pieces between gaps.
        var cut = runs.Count(r => r.Count == 1);
        var pieces = runs.Where(r => r.Count > 1).ToList();
        var described = string.Join(", ", runs.Take(12).Select(r => $"{r.First}..{r.Last}"));
        Assert.True(pieces.Count - 1 <= announced && cut <= 2 * announced,
            $"output has {runs.Count - 1} gaps or repeats ({described}) and form announced {announced} dropped while being read");
        for (var i = 1; i < pieces.Count; i++)
        {
            Assert.True(pieces[i].First > pieces[i - 1].Last, $"output went back after a gap: {pieces[i - 1].Last} then {pieces[i].First}");
        }

        if (announced > 0)
        {
            TestContext.Current.SendDiagnosticMessage($"form announced {announced} gap(s) dropped while being read: {described}");
        }
    }

    [GeneratedRegex("^[0-9]+$")]
    private static partial Regex Digits();
}
