using Spectre.Console;

namespace Formation.Cli.Output;

/// <summary>Where commands write: a Spectre console on stdout (wide and plain when redirected) and stderr.</summary>
public sealed class Terminal(TextWriter output, TextWriter error)
{
    public TextWriter Out { get; } = output;

    public TextWriter Error { get; } = error;

    public IAnsiConsole Console { get; } = Create(output);

    public static Terminal Standard() => new(System.Console.Out, System.Console.Error);

    private static IAnsiConsole Create(TextWriter output)
    {
        var redirected = !ReferenceEquals(output, System.Console.Out) || System.Console.IsOutputRedirected;
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output),
            Ansi = redirected ? AnsiSupport.No : AnsiSupport.Detect,
            ColorSystem = redirected ? ColorSystemSupport.NoColors : ColorSystemSupport.Detect,
            Interactive = redirected ? InteractionSupport.No : InteractionSupport.Detect,
        });
        if (redirected)
        {
            console.Profile.Width = 240;
        }

        return console;
    }
}
