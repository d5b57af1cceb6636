using System.CommandLine;
using System.Runtime.InteropServices;
using Formation.Cli.Output;
using Formation.Vms;

namespace Formation.Cli.Commands;

/// <summary>
/// <c>form vm exec VM [-i] [-t] [-e NAME=value] [-w DIR] [-u USER] [--timeout S] -- CMD ARGS...</c>: runs a command in
/// the VM's guest through its guest agent, prints its stdout and stderr to ours and exits with its exit code (128 +
/// the signal that killed it; 127 when it was not found; 124 when <c>--timeout</c> ended it). Ctrl-C is passed to the
/// command as SIGINT (a second one ends the session); with <c>-t</c> the local terminal is raw and every key goes to
/// the guest's pty.
/// </summary>
public static class VmExecCommand
{
    /// <summary>Exit code when <c>--timeout</c> ended the command (as timeout(1)).</summary>
    public const int TimedOut = ExecRun.TimedOut;

    private const int SigInt = 2;
    private const int SigTerm = 15;

    public static Command Create(FormApp app)
    {
        var id = CommandParts.VmArgument();
        var argv = new Argument<string[]>("command") { Description = "The command and its arguments, after --", Arity = ArgumentArity.OneOrMore };
        var interactive = new Option<bool>("--interactive", "-i") { Description = "Send this terminal's stdin to the command" };
        var tty = new Option<bool>("--tty", "-t") { Description = "Run the command on a pty (this terminal goes raw; stdout and stderr arrive together)" };
        var env = new Option<string[]>("--env", "-e") { Description = "NAME=value in the command's environment (repeatable)", HelpName = "NAME=value" };
        var workdir = new Option<string?>("--workdir", "-w") { Description = "Working directory in the guest (default: the user's home, else /)", HelpName = "dir" };
        var user = new Option<string?>("--user", "-u") { Description = "Run as this guest user (name or uid; default root)", HelpName = "user" };
        var timeout = new Option<double?>("--timeout") { Description = "End the command after this many seconds (exit 124)", HelpName = "seconds" };
        var command = new Command("exec", "Run a command in the VM's guest (form vm exec web -- ls -l /)")
        {
            id, argv, interactive, tty, env, workdir, user, timeout,
        };
        command.Validators.Add(result =>
        {
            if (result.GetValue(timeout) is { } seconds && (seconds <= 0 || double.IsNaN(seconds) || seconds > 7 * 24 * 3600))
            {
                result.AddError($"--timeout {seconds} is not a number of seconds between 0 and 604800.");
            }
        });
        command.SetAction((parse, ct) => app.WithClusterAsync(parse, ct, async client =>
        {
            var exec = await VmHandles.ResolveExecAsync(client, parse.GetValue(id)!);
            var pty = parse.GetValue(tty);
            var (rows, columns) = pty ? WindowSize() : (0, 0);
            var request = new ExecRequest(parse.GetValue(argv)!, parse.GetValue(env), parse.GetValue(workdir), parse.GetValue(user),
                pty, parse.GetValue(interactive), rows, columns);
            var session = await exec.StartAsync(request);
            var limit = parse.GetValue(timeout) is { } s ? TimeSpan.FromSeconds(s) : (TimeSpan?)null;
            return await RunAsync(app, exec, session, request, limit, ct);
        }));
        return command;
    }

    private static async Task<int> RunAsync(FormApp app, IVmExecGrain exec, string session, ExecRequest request, TimeSpan? limit, CancellationToken ct)
    {
        var interrupts = 0;
        using var ended = CancellationTokenSource.CreateLinkedTokenSource(ct);
        void OnSignal(PosixSignalContext context)
        {
            context.Cancel = true; // the command decides what Ctrl-C means; a second one ends the session
            var signal = context.Signal == PosixSignal.SIGTERM ? SigTerm : SigInt;
            if (Interlocked.Increment(ref interrupts) > 1)
            {
                ended.Cancel();
                return;
            }

            _ = exec.SignalAsync(session, signal).ContinueWith(_ => { }, TaskScheduler.Default);
        }

        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        using var winch = request.Tty
            ? PosixSignalRegistration.Create(PosixSignal.SIGWINCH, context =>
            {
                var (rows, columns) = WindowSize();
                _ = exec.ResizeAsync(session, rows, columns).ContinueWith(_ => { }, TaskScheduler.Default);
            })
            : null;
        using var raw = request.Tty ? RawTerminal.Enter() : null;
        if (request.Stdin)
        {
            _ = Task.Run(() => PumpStdinAsync(exec, session, ended.Token), CancellationToken.None);
        }

        var deadline = limit is { } l ? DateTime.UtcNow + l : DateTime.MaxValue;
        try
        {
            while (true)
            {
                var output = await exec.ReadAsync(session, TimeSpan.FromSeconds(1)).WaitAsync(ended.Token);
                await app.Terminal.WriteRawAsync(output.Stdout, CancellationToken.None);
                await app.Terminal.WriteRawErrorAsync(output.Stderr, CancellationToken.None);
                if (output.Result is { } result)
                {
                    raw?.Dispose();
                    if (result.Error is { } error)
                    {
                        app.Terminal.Error.WriteLine($"form: {error}");
                    }

                    return result.ExitCode;
                }

                if (DateTime.UtcNow >= deadline)
                {
                    await exec.EndAsync(session);
                    raw?.Dispose();
                    app.Terminal.Error.WriteLine($"form: the command did not finish within {limit!.Value.TotalSeconds:0.###} s; ended it.");
                    return TimedOut;
                }
            }
        }
        catch (OperationCanceledException) when (ended.IsCancellationRequested)
        {
            await exec.EndAsync(session);
            raw?.Dispose();
            app.Terminal.Error.WriteLine("form: interrupted; ended the command.");
            return 128 + SigInt;
        }
    }

    /// <summary>Sends stdin to the command until it ends (EOF closes the command's stdin; on a pty it is Ctrl-D).</summary>
    private static async Task PumpStdinAsync(IVmExecGrain exec, string session, CancellationToken ct)
    {
        // fd 0 itself, as the console does: Console.OpenStandardInput() on a terminal goes through .NET's line editor.
        await using var input = new FileStream(new Microsoft.Win32.SafeHandles.SafeFileHandle(0, ownsHandle: false), FileAccess.Read, 1);
        var buffer = new byte[32 * 1024];
        try
        {
            while (!ct.IsCancellationRequested)
            {
                var read = await input.ReadAsync(buffer, ct);
                await exec.WriteAsync(session, buffer[..read]); // 0 bytes: EOF
                if (read == 0)
                {
                    return;
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or Formation.Errors.FormationException)
        {
            // The session ended (or stdin broke): the output loop reports how.
        }
    }

    private static (int Rows, int Columns) WindowSize()
    {
        try
        {
            return Console.IsOutputRedirected ? (0, 0) : (Console.WindowHeight, Console.WindowWidth);
        }
        catch (IOException)
        {
            return (0, 0);
        }
    }
}
