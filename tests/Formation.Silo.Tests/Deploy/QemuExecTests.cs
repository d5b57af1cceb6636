using System.Text;
using Formation.Silo.Tests.Processes;
using Formation.Vms;

namespace Formation.Silo.Tests.Deploy;

/// <summary>
/// <c>form vm exec</c> against a real TCG guest under the qemu driver: the guest init starts formation-agent from the
/// tiny base layer, the silo reaches it over the virtio-serial port. Output and exit status, stdin, 1 MiB of output
/// byte for byte, a missing command (127), a pty, a signal, and the CLI's streams, exit code, -i, -t and --timeout.
/// </summary>
[Trait("Category", "Slow")]
public sealed class QemuExecTests(DeployFixture fixture) : IClassFixture<DeployFixture>
{
    internal sealed record Outcome(string Stdout, string Stderr, ExecResult Result);

    [Fact]
    public async Task ExecInQemuGuest_ReturnsOutputAndStatus_CarriesStdinAndAMebibyte_And127ForAMissingCommand()
    {
        DeployFixture.RequireEnvironment();
        TestEnvironment.RequireGuestAgent();
        var ct = TestContext.Current.CancellationToken;
        var data = await fixture.NewNodeDirectoryAsync("exec");
        var options = fixture.Silo("exec-node", data);
        await using var silo = await SiloProcess.StartAsync(options);
        await using var client = await ClusterClient.ViaGatewayAsync(options.GatewayPort, asNode: true);
        var created = await DeployFixture.CreateAsync(client.Client, new VmSpec("exec-1", 1, 256, 1, DeployFixture.WebImage, null));
        var vm = client.Client.GetGrain<IVmGrain>(GrainKeys.Vm(created.NodeId, created.Id));
        await Eventually.HoldsAsync(() => vm.GetAsync(), v => v.State is VmState.Running or VmState.Failed, TimeSpan.FromSeconds(180), "the guest is up");
        Assert.Equal(VmState.Running, (await vm.GetAsync()).State);
        var exec = client.Client.GetGrain<IVmExecGrain>(GrainKeys.Vm(created.NodeId, created.Id));

        var mixed = await RunAsync(exec, new ExecRequest(["sh", "-c", "echo out; echo err >&2; exit 3"]));
        Assert.Equal(("out\n", "err\n", 3), (mixed.Stdout, mixed.Stderr, mixed.Result.ExitCode));

        var session = await exec.StartAsync(new ExecRequest(["cat"], Stdin: true));
        await exec.WriteAsync(session, Encoding.UTF8.GetBytes("hello through the agent\n"));
        await exec.WriteAsync(session, []);
        var echoed = await CollectAsync(exec, session);
        Assert.Equal(("hello through the agent\n", 0), (echoed.Stdout, echoed.Result.ExitCode));

        // Figures (printed, not asserted): an exec of `true` end to end through the grain, against a plain grain call in the
        // same run, and the time 1 MiB of output takes (below).
        var exec1 = new List<double>();
        var anchor = new List<double>();
        for (var i = 0; i < 5; i++)
        {
            var watch = System.Diagnostics.Stopwatch.StartNew();
            Assert.Equal(0, (await RunAsync(exec, new ExecRequest(["true"]))).Result.ExitCode);
            exec1.Add(watch.Elapsed.TotalMilliseconds);
            watch.Restart();
            await vm.GetAsync();
            anchor.Add(watch.Elapsed.TotalMilliseconds);
        }

        TestContext.Current.TestOutputHelper?.WriteLine(
            $"exec `true` (qemu/TCG, virtio-serial): median {exec1.Order().ElementAt(2):0.0} ms; anchor IVmGrain.GetAsync: median {anchor.Order().ElementAt(2):0.0} ms");
        var expected = string.Concat(Enumerable.Range(1, 200_000).Select(i => i + "\n"))[..(1 << 20)];
        var mebibyte = System.Diagnostics.Stopwatch.StartNew();
        var large = await RunAsync(exec, new ExecRequest(["sh", "-c", "seq 1 200000 | head -c 1048576"]));
        TestContext.Current.TestOutputHelper?.WriteLine($"1 MiB of output (seq in the TCG guest included): {mebibyte.Elapsed.TotalMilliseconds:0} ms");
        Assert.Equal(0, large.Result.ExitCode);
        Assert.Equal(1 << 20, large.Stdout.Length);
        Assert.True(expected == large.Stdout, "the 1 MiB of output arrived changed");

        var missing = await RunAsync(exec, new ExecRequest(["no-such-command", "x"]));
        Assert.Equal(127, missing.Result.ExitCode);
        Assert.Contains("not found", missing.Result.Error);

        var pty = await RunAsync(exec, new ExecRequest(["tty"], Tty: true, Rows: 30, Columns: 100));
        Assert.StartsWith("/dev/pts/", pty.Stdout);

        var sleeper = await exec.StartAsync(new ExecRequest(["sleep", "60"]));
        await exec.SignalAsync(sleeper, 15);
        Assert.Equal(128 + 15, (await CollectAsync(exec, sleeper)).Result.ExitCode);

        var cli = await FormProcess.RunAsync(["vm", "exec", created.Id, "--gateway", silo.Gateway, "--", "sh", "-c", "echo cli-out; echo cli-err >&2; exit 7"],
            cancellationToken: ct);
        Assert.True(cli.ExitCode == 7, cli.ToString());
        Assert.Equal("cli-out\n", cli.Out);
        Assert.Contains("cli-err", cli.Error);

        var cliMissing = await FormProcess.RunAsync(["vm", "exec", "exec-1", "--gateway", silo.Gateway, "--", "no-such-command"], cancellationToken: ct);
        Assert.True(cliMissing.ExitCode == 127, cliMissing.ToString());
        Assert.Contains("no-such-command: command not found", cliMissing.Error);

        // A shell runs these: the silo's admin credential goes on the command line, as FormProcess would give it.
        var credential = SiloProcess.AdminCredentialForCommand(["--gateway", silo.Gateway]);
        var form = $"{FormProcess.Describe()} vm exec exec-1 --gateway {silo.Gateway}" + (credential is null ? "" : $" --credential {credential}");
        var piped = await ShellAsync($"printf 'piped input' | {form} -i -- cat", ct);
        Assert.True(piped.ExitCode == 0 && piped.Out == "piped input", piped.ToString());

        // -t needs a terminal on our side: script(1) gives the CLI one.
        var terminal = await ShellAsync($"script -qec '{form} -t -- tty' /dev/null < /dev/null", ct);
        Assert.True(terminal.ExitCode == 0 && terminal.Out.Contains("/dev/pts/", StringComparison.Ordinal), terminal.ToString());

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var timedOut = await FormProcess.RunAsync(["vm", "exec", "exec-1", "--gateway", silo.Gateway, "--timeout", "2", "--", "sleep", "60"], cancellationToken: ct);
        Assert.True(timedOut.ExitCode == 124 && timedOut.Error.Contains("did not finish within 2 s", StringComparison.Ordinal), timedOut.ToString());
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"--timeout 2 took {clock.Elapsed}");
    }

    private static async Task<FormProcess.Result> ShellAsync(string command, CancellationToken ct)
    {
        var info = new System.Diagnostics.ProcessStartInfo("/bin/sh") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(command);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using var process = System.Diagnostics.Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        return new FormProcess.Result(process.ExitCode, await stdout, await stderr, clock.Elapsed);
    }

    /// <summary>Runs one command to its end and collects its output (also used by the kvm deploy test).</summary>
    internal static async Task<Outcome> RunAsync(IVmExecGrain exec, ExecRequest request) =>
        await CollectAsync(exec, await exec.StartAsync(request));

    private static async Task<Outcome> CollectAsync(IVmExecGrain exec, string session)
    {
        var stdout = new MemoryStream();
        var stderr = new MemoryStream();
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        while (DateTime.UtcNow < deadline)
        {
            var output = await exec.ReadAsync(session, TimeSpan.FromSeconds(2));
            stdout.Write(output.Stdout);
            stderr.Write(output.Stderr);
            if (output.Result is { } result)
            {
                return new Outcome(Encoding.UTF8.GetString(stdout.ToArray()), Encoding.UTF8.GetString(stderr.ToArray()), result);
            }
        }

        throw new Xunit.Sdk.XunitException($"exec session {session} did not end within 2 minutes");
    }
}
