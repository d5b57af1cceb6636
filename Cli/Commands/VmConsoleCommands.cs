using System.CommandLine;
using System.Runtime.InteropServices;
using System.Text;
using Formation.Vms;

namespace Formation.Cli.Commands;

/// <summary><c>form vm logs</c> and <c>form vm console</c>: the VM's serial console, from its node.</summary>
public static partial class VmCommands
{
    /// <summary>Ctrl-] ends an interactive console session, as in telnet and virsh.</summary>
    public const byte DetachKey = 0x1d;

    private static Command LogsCommand(FormApp app)
    {
        var id = VmArgument();
        var follow = new Option<bool>("--follow", "-f") { Description = "Keep printing new output until Ctrl-C" };
        var tail = new Option<int?>("--tail") { Description = "Only the last N lines", HelpName = "lines" };
        var command = new Command("logs", "Print the VM's console output (every boot, newest last)") { id, follow, tail };
        command.SetAction((parse, ct) => app.WithClusterAsync(parse, ct, async client =>
        {
            var console = await ResolveConsoleAsync(client, parse.GetValue(id)!);
            var output = Console.OpenStandardOutput();
            long offset = 0;
            if (parse.GetValue(tail) is { } lines)
            {
                var last = await console.ReadAsync(-65536, 65536, TimeSpan.Zero);
                var text = Encoding.UTF8.GetString(last.Data);
                var kept = text.Split('\n');
                var start = Math.Max(0, kept.Length - lines - (text.EndsWith('\n') ? 1 : 0));
                await app.Terminal.Out.WriteAsync(string.Join('\n', kept[start..]));
                await app.Terminal.Out.FlushAsync(ct);
                offset = last.Next;
            }

            try
            {
                while (true)
                {
                    var chunk = await console.ReadAsync(offset, 256 * 1024, parse.GetValue(follow) ? TimeSpan.FromSeconds(2) : TimeSpan.Zero);
                    if (chunk.Data.Length > 0)
                    {
                        await WriteAsync(app, output, chunk.Data, ct);
                    }
                    else if (!parse.GetValue(follow))
                    {
                        break;
                    }

                    offset = chunk.Next;
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
            }

            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command ConsoleCommand(FormApp app)
    {
        var id = VmArgument();
        var command = new Command("console", "Attach to the VM's serial console (detach with Ctrl-])") { id };
        command.SetAction((parse, ct) => app.WithClusterAsync(parse, ct, async client =>
        {
            var console = await ResolveConsoleAsync(client, parse.GetValue(id)!);
            var recent = await console.ReadAsync(-2048, 2048, TimeSpan.Zero);
            app.Terminal.Error.WriteLine($"form: connected to the console of {parse.GetValue(id)}. Detach with Ctrl-].");
            var output = Console.OpenStandardOutput();
            await WriteAsync(app, output, recent.Data, ct);
            using var session = CancellationTokenSource.CreateLinkedTokenSource(ct);
            using var raw = RawTerminal.Enter();
            var reader = Task.Run(async () =>
            {
                var offset = recent.Next;
                while (!session.IsCancellationRequested)
                {
                    var chunk = await console.ReadAsync(offset, 64 * 1024, TimeSpan.FromSeconds(1));
                    await WriteAsync(app, output, chunk.Data, session.Token);
                    offset = chunk.Next;
                }
            }, session.Token);

            // fd 0 itself: Console.OpenStandardInput() on a terminal goes through .NET's own line editor (echo, line
            // buffering), which would swallow raw keystrokes such as Ctrl-].
            await using var input = new FileStream(new Microsoft.Win32.SafeHandles.SafeFileHandle(0, ownsHandle: false), FileAccess.Read, 1);
            var buffer = new byte[1024];
            try
            {
                while (true)
                {
                    var read = await input.ReadAsync(buffer, session.Token);
                    if (read == 0)
                    {
                        break; // stdin closed (piped input ran out)
                    }

                    var detach = Array.IndexOf(buffer, DetachKey, 0, read);
                    if (detach != 0)
                    {
                        await console.WriteAsync(buffer[..(detach < 0 ? read : detach)]);
                    }

                    if (detach >= 0)
                    {
                        break;
                    }
                }

                await Task.Delay(300, ct); // let the guest's answer to the last input arrive
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
            }
            finally
            {
                await session.CancelAsync();
                try
                {
                    await reader;
                }
                catch (OperationCanceledException)
                {
                }
            }

            raw.Dispose(); // back to a normal terminal before printing
            app.Terminal.Error.WriteLine();
            app.Terminal.Error.WriteLine("form: detached.");
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static async Task<IVmConsoleGrain> ResolveConsoleAsync(IClusterClient client, string idOrName)
    {
        var vmRef = await client.GetGrain<IVmCatalogGrain>(GrainKeys.Cluster).ResolveAsync(idOrName);
        return client.GetGrain<IVmConsoleGrain>(vmRef.GrainKey);
    }

    /// <summary>Console bytes go out unchanged to the real stdout; to the app's writer (tests) as text.</summary>
    private static async Task WriteAsync(FormApp app, Stream stdout, byte[] data, CancellationToken cancellationToken)
    {
        if (data.Length == 0)
        {
            return;
        }

        if (ReferenceEquals(app.Terminal.Out, Console.Out))
        {
            await stdout.WriteAsync(data, cancellationToken);
            await stdout.FlushAsync(cancellationToken);
        }
        else
        {
            await app.Terminal.Out.WriteAsync(Encoding.UTF8.GetString(data));
            await app.Terminal.Out.FlushAsync(cancellationToken);
        }
    }

    /// <summary>
    /// Puts the terminal on stdin in raw mode (no echo, no line buffering, no signal keys) while a console is attached.
    /// termios is set directly: .NET restores the terminal around every child process, so `stty` would not last.
    /// </summary>
    private sealed class RawTerminal : IDisposable
    {
        private const int StdIn = 0;
        private const int TcsaNow = 0;
        private byte[]? _saved;

        private RawTerminal(byte[]? saved) => _saved = saved;

        public static RawTerminal Enter()
        {
            var saved = new byte[256]; // struct termios is 60 bytes on Linux x86-64; room to spare
            if (Console.IsInputRedirected || tcgetattr(StdIn, saved) != 0)
            {
                return new RawTerminal(null);
            }

            var raw = (byte[])saved.Clone();
            cfmakeraw(raw);
            _ = tcsetattr(StdIn, TcsaNow, raw);
            return new RawTerminal(saved);
        }

        public void Dispose()
        {
            if (_saved is not null)
            {
                _ = tcsetattr(StdIn, TcsaNow, _saved);
                _saved = null;
            }
        }

#pragma warning disable SYSLIB1054 // byte[] arguments marshal as pinned pointers; DllImport needs no source generator here
        [DllImport("libc", SetLastError = true)]
        private static extern int tcgetattr(int fd, byte[] termios);

        [DllImport("libc", SetLastError = true)]
        private static extern int tcsetattr(int fd, int optionalActions, byte[] termios);

        [DllImport("libc")]
        private static extern void cfmakeraw(byte[] termios);
#pragma warning restore SYSLIB1054
    }
}
