using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace Formation.Cli.Tests.Deploy;

/// <summary>
/// `form deploy` for real: a directory with a Formfile becomes a service with one running VM (hello-web-1) on the qemu
/// driver that answers HTTP from the host; then logs, console, reboot, stop/start of the replica and the service's
/// delete through the CLI.
/// </summary>
[Trait("Category", "Slow")]
public sealed partial class DeployCliTests : IAsyncLifetime
{
    private readonly TestDirectory _scratch = new("deploy");
    private SiloProcess? _silo;

    [Fact]
    public async Task Deploy_TinyWebFormfile_RunsAndAnswers_ThenEveryVmCommandWorks()
    {
        TestEnvironment.RequireBuilder();
        TestEnvironment.RequireQemu();
        TestEnvironment.RequireFormationKernel();
        _scratch.Write("app/Formfile", "NAME hello-web\nFROM tiny\nMEM 128\nCOPY ./www /www\nEXPOSE 8080/tcp\nENTRYPOINT [\"/bin/busybox\", \"httpd\", \"-f\", \"-p\", \"8080\", \"-h\", \"/www\"]\n");
        _scratch.Write("app/www/index.html", "deployed by form\n");
        _silo = await SiloProcess.StartAsync(new SiloProcessOptions("cli-deploy", Path.Combine(_scratch.Path, "data")) { Driver = "qemu" });
        var gateway = _silo.Gateway;

        var deploy = await Form("deploy", Path.Combine(_scratch.Path, "app"), "--gateway", gateway);
        Assert.True(deploy.ExitCode == 0, deploy.ToString());
        Assert.Contains("is running on cli-deploy at", deploy.Out);
        var url = UrlPattern().Match(deploy.Out).Value;
        Assert.False(string.IsNullOrEmpty(url), deploy.Out);
        Assert.Contains("deployed by form", await QemuTestSilo.GetAsync(url));

        var logs = await Form("vm", "logs", "hello-web-1", "--gateway", gateway);
        Assert.Contains("FORMATION-GUEST-READY", logs.Out);
        var tail = await Form("vm", "logs", "hello-web-1", "--tail", "3", "--gateway", gateway);
        Assert.True(tail.Out.TrimEnd().Split('\n').Length <= 3, tail.Out);

        var console = await ConsoleSessionAsync("\u001d", "vm", "console", "hello-web-1", "--gateway", gateway);
        Assert.True(console.ExitCode == 0, console.ToString());
        Assert.Contains("Detach with Ctrl-]", console.Error);
        Assert.Contains("detached", console.Error);

        // The console answers: a shell reads what is typed and its output comes back through form vm console.
        var shell = await ConsoleSessionAsync(gateway, "hello-web-1", "echo formation-$((6*7))\n", "formation-42");
        Assert.True(shell.ExitCode == 0, shell.ToString());
        Assert.Contains("formation-42", shell.Out);

        var reboot = await Form("vm", "reboot", "hello-web-1", "--gateway", gateway);
        Assert.True(reboot.ExitCode == 0, reboot.ToString());
        Assert.Contains("Running", reboot.Out);
        Assert.Contains("deployed by form", await QemuTestSilo.GetAsync(url));

        Assert.Equal(0, (await Form("vm", "stop", "hello-web-1", "--gateway", gateway)).ExitCode);
        Assert.Equal(0, (await Form("vm", "start", "hello-web-1", "--gateway", gateway)).ExitCode);
        Assert.Contains("deployed by form", await QemuTestSilo.GetAsync(url));

        var show = await Form("vm", "show", "hello-web-1", "--gateway", gateway);
        Assert.Contains("8080/tcp", show.Out);
        var delete = await Form("service", "delete", "hello-web", "--gateway", gateway);
        Assert.True(delete.ExitCode == 0, delete.ToString());
        Assert.Contains("No VMs", (await Form("vm", "list", "--gateway", gateway)).Out);
        Assert.Contains("No services", (await Form("service", "list", "--gateway", gateway)).Out);
    }

    [Fact]
    public async Task Deploy_BadFormfile_FailsBeforeConnecting_NamingLineAndColumn()
    {
        _scratch.Write("bad/Formfile", "NAME x\nFROM tiny\nRUNN echo\n");

        var run = await Form("deploy", Path.Combine(_scratch.Path, "bad"), "--gateway", $"127.0.0.1:{FreePorts.Next()}");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("Formfile:3:1", run.Error);
        Assert.Contains("nothing was deployed", run.Error);
    }

    private static Task<FormRun> Form(params string[] args) => FormRun.ProcessAsync(args);

    /// <summary>
    /// Runs `form vm console`, types <paramref name="input"/> once it says it is connected, and waits for it to end with
    /// its stdin still open: only the input itself (Ctrl-]) can end the session, not the end of the input.
    /// </summary>
    private static async Task<FormRun> ConsoleSessionAsync(string input, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Formation.Testing.FormProcess.Dll);
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        Formation.Testing.SiloProcess.GiveAdminCredential(info, args);

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = new StringBuilder();
        var stderrDone = Task.Run(async () =>
        {
            var buffer = new char[256];
            int read;
            while ((read = await process.StandardError.ReadAsync(buffer)) > 0)
            {
                lock (stderr)
                {
                    stderr.Append(buffer, 0, read);
                }
            }
        });
        string Stderr()
        {
            lock (stderr)
            {
                return stderr.ToString();
            }
        }

        await Eventually.TrueAsync(() => Stderr().Contains("Detach with Ctrl-]") || process.HasExited, TimeSpan.FromSeconds(60), "form vm console to connect");
        Assert.False(process.HasExited, $"form vm console ended before it connected:\n{Stderr()}");
        await process.StandardInput.WriteAsync(input);
        await process.StandardInput.FlushAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        }
        catch (TimeoutException)
        {
            process.Kill();
            Assert.Fail($"form vm console was still attached 60 s after the input {Convert.ToHexString(Encoding.UTF8.GetBytes(input))}:\n{Stderr()}");
        }

        process.StandardInput.Close();
        await stderrDone;
        return new FormRun(process.ExitCode, await stdout, Stderr());
    }

    /// <summary>
    /// Attaches <c>form vm console</c>, types <paramref name="line"/> until <paramref name="answer"/> appears in its output
    /// (the guest's shell may still be starting when the VM is Running; a line typed before it reads is lost), then
    /// detaches with Ctrl-]. Fails after 90 s.
    /// </summary>
    private static async Task<FormRun> ConsoleSessionAsync(string gateway, string vm, string line, string answer)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { Formation.Testing.FormProcess.Dll, "vm", "console", vm, "--gateway", gateway })
        {
            info.ArgumentList.Add(a);
        }

        Formation.Testing.SiloProcess.GiveAdminCredential(info, ["--gateway", gateway]);

        using var process = new Process { StartInfo = info };
        var stdout = new System.Text.StringBuilder();
        var stderr = new System.Text.StringBuilder();
        var answered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) =>
        {
            lock (stdout)
            {
                stdout.AppendLine(e.Data);
                if (stdout.ToString().Contains(answer, StringComparison.Ordinal))
                {
                    answered.TrySetResult();
                }
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            lock (stderr)
            {
                stderr.AppendLine(e.Data);
            }
        };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (!answered.Task.IsCompleted && DateTime.UtcNow < deadline)
        {
            await process.StandardInput.WriteAsync(line);
            await process.StandardInput.FlushAsync();
            await Task.WhenAny(answered.Task, Task.Delay(3000)); // type again if the shell was not reading yet
        }

        await process.StandardInput.WriteAsync("\u001d");
        await process.StandardInput.FlushAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        lock (stdout)
        {
            return new FormRun(process.ExitCode, stdout.ToString(), stderr.ToString());
        }
    }

    [GeneratedRegex(@"http://[0-9.]+:8080")]
    private static partial Regex UrlPattern();

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        await QemuTestSilo.DisposeAsync(_silo, _scratch.Path, "cli-deploy");
        _scratch.Dispose();
    }
}
