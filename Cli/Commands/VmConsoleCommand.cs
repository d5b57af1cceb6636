using System.CommandLine;
using Formation.Cli.Output;
using Formation.Vms;

namespace Formation.Cli.Commands;

/// <summary><c>form vm console VM</c>: attach this terminal to the VM's serial console until Ctrl-].</summary>
public static class VmConsoleCommand
{
    /// <summary>Ctrl-] ends an interactive console session, as in telnet and virsh.</summary>
    public const byte DetachKey = 0x1d;

    public static Command Create(FormApp app)
    {
        var id = CommandParts.VmArgument();
        var command = new Command("console", "Attach to the VM's serial console (detach with Ctrl-])") { id };
        command.SetAction((parse, ct) => app.WithClusterAsync(parse, ct, async client =>
        {
            var console = await VmHandles.ResolveConsoleAsync(client, parse.GetValue(id)!);
            var recent = await console.ReadAsync(-2048, 2048, TimeSpan.Zero);
            app.Terminal.Error.WriteLine($"form: connected to the console of {parse.GetValue(id)}. Detach with Ctrl-].");
            await app.Terminal.WriteRawAsync(recent.Data, ct);
            using var session = CancellationTokenSource.CreateLinkedTokenSource(ct);
            using var raw = RawTerminal.Enter();
            var reader = Task.Run(async () =>
            {
                var offset = recent.Next;
                while (!session.IsCancellationRequested)
                {
                    var chunk = await console.ReadAsync(offset, 64 * 1024, TimeSpan.FromSeconds(1));
                    await app.Terminal.WriteRawAsync(chunk.Data, session.Token);
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
}
