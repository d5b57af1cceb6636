using System.Collections.Immutable;
using System.Text.RegularExpressions;

namespace Formation.Formfiles;

/// <summary>RUN, COPY, INSTALL, WORKDIR (ENV and USER have their own files).</summary>
internal sealed partial class FormfileParserSession
{
    [GeneratedRegex(@"^[a-z0-9][a-z0-9+.-]*(:[a-z0-9]+)?(=[A-Za-z0-9.+~:-]+)?(/[a-z0-9-]+)?$")]
    private static partial Regex PackagePattern();

    private void ParseRun(DirectiveArgs a)
    {
        var raw = a.Raw;
        if (raw.StartsWith('['))
        {
            if (!TryParseJsonArray(a, raw, out var argv))
            {
                return;
            }

            if (argv.Length == 0 || argv[0].Length == 0)
            {
                Error(a.PositionOf(a.Start), FormfileDiagnosticCodes.MissingArgument, "RUN [] has no command", "e.g. RUN [\"/bin/sh\", \"-c\", \"echo hi\"]");
                return;
            }

            raw = string.Join(' ', argv.Select(ShellQuoting.Quote));
        }

        _instructions.Add(new RunInstruction(a.At, raw));
    }

    private void ParseCopy(DirectiveArgs a)
    {
        if (!Tokens(a, out var tokens))
        {
            return;
        }

        if (tokens.FirstOrDefault(t => t.Value.StartsWith("--") && !t.Quoted) is { Value: not null } option)
        {
            Error(a.PositionOf(option.Start), FormfileDiagnosticCodes.InvalidValue, $"COPY has no option '{Shorten(option.Value)}'",
                "change ownership or modes with a RUN step after the COPY");
            return;
        }

        if (tokens.Count < 2)
        {
            Error(a.PositionOf(a.Start), FormfileDiagnosticCodes.MissingArgument,
                "COPY needs a source and a destination directory", "e.g. COPY ./app /app (use COPY . /app for the whole context)");
            return;
        }

        var sources = ImmutableArray.CreateBuilder<string>();
        var ok = true;
        foreach (var token in tokens.Take(tokens.Count - 1))
        {
            var source = ContextPaths.NormalizeSource(token.Value, out var problem);
            if (source is null)
            {
                Error(a.PositionOf(token.Start), FormfileDiagnosticCodes.UnsafePath, $"COPY source '{Shorten(token.Value)}' {problem}",
                    "sources are relative paths inside the build context, e.g. COPY ./app /app");
                ok = false;
                continue;
            }

            sources.Add(source);
        }

        var destinationToken = tokens[^1];
        var destination = ContextPaths.NormalizeImagePath(destinationToken.Value, _workdir);
        if (destination is null)
        {
            Error(a.PositionOf(destinationToken.Start), FormfileDiagnosticCodes.InvalidValue,
                $"COPY destination '{Shorten(destinationToken.Value)}' is not a valid path", "e.g. COPY ./app /app");
            ok = false;
        }

        if (ok)
        {
            _instructions.Add(new CopyInstruction(a.At, sources.ToImmutable(), destination!));
        }
    }

    private void ParseInstall(DirectiveArgs a)
    {
        if (!Tokens(a, out var tokens))
        {
            return;
        }

        var ok = true;
        foreach (var token in tokens)
        {
            if (!PackagePattern().IsMatch(token.Value))
            {
                Error(a.PositionOf(token.Start), FormfileDiagnosticCodes.InvalidValue,
                    token.Value.StartsWith('-')
                        ? $"INSTALL takes package names, not apt options ('{Shorten(token.Value)}')"
                        : $"'{Shorten(token.Value)}' is not a valid Debian package name",
                    "package names are lower case, e.g. INSTALL python3 curl (pkg=version and pkg/release also work)");
                ok = false;
            }
        }

        if (ok)
        {
            _instructions.Add(new InstallInstruction(a.At, [.. tokens.Select(t => t.Value)]));
            _installs.Add(a.At);
        }
    }

    private void ParseWorkdir(DirectiveArgs a)
    {
        if (!SingleToken(a, "an absolute path", out var token))
        {
            return;
        }

        var path = token.Value;
        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (!path.StartsWith('/') || segments.Any(s => s is "." or "..") || path.Contains('\0'))
        {
            Error(a.PositionOf(token.Start), FormfileDiagnosticCodes.InvalidValue,
                $"WORKDIR must be an absolute path without '.' or '..' parts, got '{Shorten(path)}'", "e.g. WORKDIR /app");
            return;
        }

        _workdir = "/" + string.Join('/', segments);
        _instructions.Add(new WorkdirInstruction(a.At, _workdir));
    }
}
