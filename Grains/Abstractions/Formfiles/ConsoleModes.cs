namespace Formation.Formfiles;

/// <summary>The words of <see cref="ConsoleMode"/> in Formfiles, on the command line and on the guest's kernel command line.</summary>
public static class ConsoleModes
{
    /// <summary>Kernel command line parameter that overrides the image's mode for one VM (<c>formation.console=none</c>).</summary>
    public const string KernelParameter = "formation.console";

    public static string Word(ConsoleMode mode) => mode == ConsoleMode.None ? "none" : "shell";

    public static bool TryParse(string? word, out ConsoleMode mode)
    {
        switch (word?.ToLowerInvariant())
        {
            case "shell":
                mode = ConsoleMode.Shell;
                return true;
            case "none":
                mode = ConsoleMode.None;
                return true;
            default:
                mode = ConsoleMode.Shell;
                return false;
        }
    }
}
