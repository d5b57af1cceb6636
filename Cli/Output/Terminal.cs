using Spectre.Console;

namespace Formation.Cli.Output;

/// <summary>Where commands write: a Spectre console on stdout (wide and plain when redirected) and stderr.</summary>
public sealed class Terminal(TextWriter output, TextWriter error)
{
    private readonly Lazy<IAnsiConsole> _console = new(() => Create(output));

    /// <summary>The process's stdout as bytes, opened once on first raw write and kept for the process's life.</summary>
    private readonly Lazy<Stream> _stdout = new(System.Console.OpenStandardOutput);

    /// <summary>The process's stderr as bytes, likewise.</summary>
    private readonly Lazy<Stream> _stderr = new(System.Console.OpenStandardError);

    public TextWriter Out { get; } = output;

    public TextWriter Error { get; } = error;

    /// <summary>Spectre console for rich output; created on first use (it costs start-up time).</summary>
    public IAnsiConsole Console => _console.Value;

    /// <summary>True when stdout is a terminal that should get colors (and NO_COLOR is not set).</summary>
    public bool Color { get; } = ReferenceEquals(output, System.Console.Out) && !System.Console.IsOutputRedirected &&
        Environment.GetEnvironmentVariable("NO_COLOR") is null;

    public void Write(TextTable table) => table.Write(Out, Color);

    /// <summary>Console bytes go out unchanged to the real stdout; to a substituted writer (tests) as UTF-8 text.</summary>
    public async Task WriteRawAsync(byte[] data, CancellationToken cancellationToken)
    {
        if (data.Length == 0)
        {
            return;
        }

        if (ReferenceEquals(Out, System.Console.Out))
        {
            await _stdout.Value.WriteAsync(data, cancellationToken);
            await _stdout.Value.FlushAsync(cancellationToken);
        }
        else
        {
            await Out.WriteAsync(System.Text.Encoding.UTF8.GetString(data));
            await Out.FlushAsync(cancellationToken);
        }
    }

    /// <summary>Like <see cref="WriteRawAsync"/>, to stderr.</summary>
    public async Task WriteRawErrorAsync(byte[] data, CancellationToken cancellationToken)
    {
        if (data.Length == 0)
        {
            return;
        }

        if (ReferenceEquals(Error, System.Console.Error))
        {
            await _stderr.Value.WriteAsync(data, cancellationToken);
            await _stderr.Value.FlushAsync(cancellationToken);
        }
        else
        {
            await Error.WriteAsync(System.Text.Encoding.UTF8.GetString(data));
            await Error.FlushAsync(cancellationToken);
        }
    }

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
