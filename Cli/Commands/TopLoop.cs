using System.CommandLine;
using Formation.Cli.Output;

namespace Formation.Cli.Commands;

/// <summary>
/// The refresh loop of <c>form top</c> and <c>form vm top</c>: a frame every <c>--interval</c> seconds, the screen
/// cleared between frames on a terminal, until Ctrl-C or <c>--iterations</c>; <c>--json</c> prints one snapshot.
/// </summary>
public sealed class TopLoop
{
    public Option<bool> Json { get; } = FormApp.JsonOption();

    public Option<double> Interval { get; } = new("--interval", "-d")
    {
        Description = "Seconds between refreshes (default 2; nodes sample every 10 s)",
        DefaultValueFactory = _ => 2,
        HelpName = "seconds",
    };

    public Option<int> Iterations { get; } = new("--iterations", "-n")
    {
        Description = "Stop after this many refreshes (default: until Ctrl-C)",
        HelpName = "count",
    };

    public void AddTo(Command command)
    {
        command.Options.Add(Json);
        command.Options.Add(Interval);
        command.Options.Add(Iterations);
    }

    /// <summary>Checks the options; a bad value is a message naming it, or null.</summary>
    public string? Problem(ParseResult parse) =>
        parse.GetValue(Interval) is < 0.1 or > 3600 ? $"--interval {parse.GetValue(Interval)} is out of range: give 0.1 to 3600 seconds."
        : parse.GetValue(Iterations) < 0 ? $"--iterations {parse.GetValue(Iterations)} is negative: give a count of refreshes, or leave it out."
        : null;

    /// <summary>Runs <paramref name="frame"/> (which writes one table, or the JSON snapshot) as the options say.</summary>
    public async Task<int> RunAsync(FormApp app, ParseResult parse, Func<bool, Task> frame, CancellationToken cancellationToken)
    {
        if (parse.GetValue(Json))
        {
            await frame(true);
            return ExitCodes.Ok;
        }

        var iterations = parse.GetValue(Iterations);
        var interval = TimeSpan.FromSeconds(parse.GetValue(Interval));
        try
        {
            for (var i = 0; iterations == 0 || i < iterations; i++)
            {
                if (i > 0)
                {
                    await Task.Delay(interval, cancellationToken);
                }

                if (app.Terminal.Color)
                {
                    app.Terminal.Out.Write("\u001b[H\u001b[2J"); // home and clear, like top
                }
                else if (i > 0)
                {
                    app.Terminal.Out.WriteLine();
                }

                app.Terminal.Out.WriteLine($"{DateTimeOffset.Now:HH:mm:ss}");
                await frame(false);
                await app.Terminal.Out.FlushAsync(cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Ctrl-C ends the loop; that is how top is left.
        }

        return ExitCodes.Ok;
    }
}
