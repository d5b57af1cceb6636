namespace Formation.Formfiles;

/// <summary>The state of one <see cref="FormfileParser.Parse"/> call. Directive handlers live in partial files.</summary>
internal sealed partial class FormfileParserSession(string text, string file)
{
    private const int MaxDiagnostics = 100;

    private readonly List<FormfileDiagnostic> _diagnostics = [];
    private readonly Dictionary<string, FormfileLocation> _seen = new(StringComparer.Ordinal);
    private readonly List<FormfileInstruction> _instructions = [];
    private readonly List<FormfileUser> _users = [];
    private readonly List<GpuRequest> _gpus = [];
    private readonly List<ExposedPort> _exposed = [];
    private readonly List<(EnvVariable Variable, FormfileLocation Location)> _env = [];
    private readonly List<FormfileLocation> _installs = [];

    private string? _name;
    private bool _nameAttempted;
    private string? _description;
    private ModelRequirement? _model;
    private BaseImage? _from;
    private FormfileLocation _fromLocation;
    private int? _vcpu;
    private int? _memoryMb;
    private int? _diskGb;
    private string _workdir = "/";
    private FormfileEntrypoint? _entrypoint;
    private FormfileLocation? _entrypointLocation;
    private ConsoleMode _console = ConsoleMode.Shell;

    public FormfileParseResult Run()
    {
        try
        {
            if (text.Length > FormfileParser.MaxLength)
            {
                Report(DiagnosticSeverity.Error, new FormfileLocation(1, 1), FormfileDiagnosticCodes.TooLarge,
                    $"the Formfile is {text.Length} characters long; at most {FormfileParser.MaxLength} are accepted",
                    "move data into the build context and COPY it");
                return Result(null);
            }

            var lines = FormfileLexer.Split(text, (location, message, suggestion) =>
                Report(DiagnosticSeverity.Error, location, FormfileDiagnosticCodes.DanglingContinuation, message, suggestion));
            foreach (var line in lines)
            {
                if (_diagnostics.Count >= MaxDiagnostics)
                {
                    break;
                }

                ParseDirective(line);
            }

            return Result(Finish());
        }
        catch (Exception ex)
        {
            Report(DiagnosticSeverity.Error, new FormfileLocation(1, 1), FormfileDiagnosticCodes.Internal,
                $"internal parser error: {ex.GetType().Name}: {ex.Message}", "please report this Formfile as a bug");
            return Result(null);
        }
    }

    private FormfileParseResult Result(Formfile? formfile) =>
        new(_diagnostics.Any(d => d.Severity == DiagnosticSeverity.Error) ? null : formfile, [.. _diagnostics]);

    private void ParseDirective(LogicalLine line)
    {
        var s = line.Text;
        var i = 0;
        while (i < s.Length && char.IsWhiteSpace(s[i]))
        {
            i++;
        }

        var keywordStart = i;
        while (i < s.Length && !char.IsWhiteSpace(s[i]))
        {
            i++;
        }

        var keyword = s[keywordStart..i];
        var directive = FormfileDirectives.Canonical(keyword);
        var at = line.PositionOf(keywordStart);
        if (directive is null)
        {
            var suggestion = FormfileDirectives.Suggest(keyword);
            Error(at, FormfileDiagnosticCodes.UnknownDirective, $"unknown directive '{Shorten(keyword)}'",
                suggestion is null
                    ? "directives are " + string.Join(", ", FormfileUsage.Canonical)
                    : $"did you mean '{suggestion}'? e.g. {FormfileUsage.Example(FormfileDirectives.Canonical(suggestion)!)}");
            return;
        }

        while (i < s.Length && char.IsWhiteSpace(s[i]))
        {
            i++;
        }

        if (i >= s.Length)
        {
            Error(line.PositionOf(keywordStart + keyword.Length), FormfileDiagnosticCodes.MissingArgument,
                $"{keyword} needs an argument: {FormfileUsage.Syntax(directive)}", $"e.g. {FormfileUsage.Example(directive)}");
            return;
        }

        var args = new DirectiveArgs(line, directive, keyword, at, i);
        switch (directive)
        {
            case "NAME": ParseName(args); break;
            case "DESCRIPTION": ParseDescription(args); break;
            case "MODEL": ParseModel(args); break;
            case "FROM": ParseFrom(args); break;
            case "USER": ParseUser(args); break;
            case "VCPU": ParseVcpu(args); break;
            case "MEM": ParseMemory(args); break;
            case "DISK": ParseDisk(args); break;
            case "GPU": ParseGpu(args); break;
            case "RUN": ParseRun(args); break;
            case "COPY": ParseCopy(args); break;
            case "INSTALL": ParseInstall(args); break;
            case "ENV": ParseEnv(args); break;
            case "WORKDIR": ParseWorkdir(args); break;
            case "ENTRYPOINT": ParseEntrypoint(args); break;
            case "EXPOSE": ParseExpose(args); break;
            case "CONSOLE": ParseConsole(args); break;
            case "HEALTHCHECK": ParseHealthcheck(args); break;
        }
    }

    /// <summary>Records the first use of a once-only directive; reports a duplicate otherwise.</summary>
    private bool FirstUse(DirectiveArgs args)
    {
        if (_seen.TryGetValue(args.Directive, out var first))
        {
            Error(args.At, FormfileDiagnosticCodes.Duplicate,
                $"{args.Keyword} is given more than once (first at line {first.Line})", "keep only one of them");
            return false;
        }

        _seen[args.Directive] = args.At;
        return true;
    }

    private void Error(FormfileLocation at, string code, string message, string? suggestion) =>
        Report(DiagnosticSeverity.Error, at, code, message, suggestion);

    private void Warn(FormfileLocation at, string code, string message, string? suggestion) =>
        Report(DiagnosticSeverity.Warning, at, code, message, suggestion);

    private void Report(DiagnosticSeverity severity, FormfileLocation at, string code, string message, string? suggestion) =>
        _diagnostics.Add(new FormfileDiagnostic(severity, code, message, suggestion, file, Math.Max(1, at.Line), Math.Max(1, at.Column)));

    /// <summary>Keeps echoed input short and printable in messages.</summary>
    private static string Shorten(string value)
    {
        var printable = new string(value.Select(c => char.IsControl(c) ? '?' : c).ToArray());
        return printable.Length <= 40 ? printable : printable[..40] + "...";
    }
}
