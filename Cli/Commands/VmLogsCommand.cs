using System.CommandLine;
using System.Text;
using Formation.Vms;

namespace Formation.Cli.Commands;

/// <summary><c>form vm logs VM [--follow] [--tail N]</c>: the VM's serial console output, from its node.</summary>
public static class VmLogsCommand
{
    public static Command Create(FormApp app)
    {
        var id = CommandParts.VmArgument();
        var follow = new Option<bool>("--follow", "-f") { Description = "Keep printing new output until Ctrl-C" };
        var tail = new Option<int?>("--tail") { Description = "Only the last N lines", HelpName = "lines" };
        var command = new Command("logs", "Print the VM's console output (every boot, newest last)") { id, follow, tail };
        command.SetAction((parse, ct) => app.WithClusterAsync(parse, ct, async client =>
        {
            var console = await VmHandles.ResolveConsoleAsync(client, parse.GetValue(id)!);
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
                        await app.Terminal.WriteRawAsync(chunk.Data, ct);
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
}
