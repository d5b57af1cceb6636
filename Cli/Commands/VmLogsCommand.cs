using System.CommandLine;
using System.Text;
using Formation.Vms;

namespace Formation.Cli.Commands;

/// <summary>
/// <c>form vm logs VM [--follow] [--tail N]</c>: the VM's serial console output, from its node: every boot the node's
/// capped log still keeps (a note on stderr says how much older output it dropped).
/// </summary>
public static class VmLogsCommand
{
    private const int ChunkSize = 256 * 1024;

    /// <summary>How a gap in the middle of the printed output is announced on stderr (the test of a flooding guest counts them).</summary>
    public const string GapNote = "bytes of console output were dropped by the node before this command could read them";

    public static Command Create(FormApp app)
    {
        var id = CommandParts.VmArgument();
        var follow = new Option<bool>("--follow", "-f") { Description = "Keep printing new output until Ctrl-C" };
        var tail = new Option<int?>("--tail") { Description = "Only the last N lines", HelpName = "lines" };
        var command = new Command("logs", "Print the VM's console output (every boot, newest last)") { id, follow, tail };
        command.SetAction((parse, ct) => app.WithClusterAsync(parse, ct, async client =>
        {
            var console = await VmHandles.ResolveConsoleAsync(client, parse.GetValue(id)!);
            long offset = 0, printed = 0;
            byte? lastByte = null;
            if (parse.GetValue(tail) is { } lines)
            {
                var last = await console.ReadAsync(-65536, 65536, TimeSpan.Zero);
                var text = Encoding.UTF8.GetString(last.Data);
                var kept = text.Split('\n');
                var start = Math.Max(0, kept.Length - lines - (text.EndsWith('\n') ? 1 : 0));
                var shown = string.Join('\n', kept[start..]);
                await app.Terminal.Out.WriteAsync(shown);
                await app.Terminal.Out.FlushAsync(ct);
                offset = last.Next;
                printed = shown.Length;
                lastByte = shown.Length > 0 ? (byte)shown[^1] : null;
            }

            try
            {
                while (true)
                {
                    var askedAt = offset;
                    var chunk = await console.ReadAsync(offset, ChunkSize, parse.GetValue(follow) ? TimeSpan.FromSeconds(2) : TimeSpan.Zero);
                    if (chunk.DroppedBefore(offset) is > 0 and var dropped)
                    {
                        // The log is capped on the VM's node and dropped what came before: say so and go on from what is kept.
                        // Past the first chunk, the node dropped output this command had not read yet (a guest printing faster
                        // than it is read): the output has a gap there, which starts on a line of its own.
                        await app.Terminal.Error.WriteLineAsync(printed == 0
                            ? $"form: {dropped} bytes of older console output are no longer kept (the node keeps the newest " +
                              "Formation:Vms:ConsoleLogMaxBytes, 16 MiB by default); continuing with the oldest kept output."
                            : $"form: {dropped} {GapNote} (the guest prints faster than its capped log is read); the output continues after a gap.");
                        if (lastByte is not null and not (byte)'\n')
                        {
                            await app.Terminal.WriteRawAsync("\n"u8.ToArray(), ct);
                        }
                    }

                    if (chunk.Data.Length > 0)
                    {
                        await app.Terminal.WriteRawAsync(chunk.Data, ct);
                        printed += chunk.Data.Length;
                        lastByte = chunk.Data[^1];
                    }

                    offset = chunk.Next;

                    // Without --follow, a short chunk is the end of the log as it was: a guest that keeps printing must
                    // not keep the command running.
                    // (An empty chunk that moved past dropped output is not the end: read on from where it points.)
                    if (!parse.GetValue(follow) && chunk.Data.Length < ChunkSize && !(chunk.Data.Length == 0 && chunk.Next > askedAt))
                    {
                        break;
                    }
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
