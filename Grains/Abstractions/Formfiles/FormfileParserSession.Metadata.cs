using System.Collections.Immutable;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Formation.Formfiles;

/// <summary>NAME, DESCRIPTION, MODEL, FROM, ENTRYPOINT, EXPOSE.</summary>
internal sealed partial class FormfileParserSession
{
    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")]
    private static partial Regex NamePattern();

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9._:/@-]{0,127}$")]
    private static partial Regex ModelIdPattern();

    private void ParseName(DirectiveArgs a)
    {
        _nameAttempted = true;
        if (!SingleToken(a, "a name such as hello-server", out var token) || !FirstUse(a))
        {
            return;
        }

        if (!NamePattern().IsMatch(token.Value))
        {
            Error(a.PositionOf(token.Start), FormfileDiagnosticCodes.InvalidValue,
                $"NAME '{Shorten(token.Value)}' is not valid: use 1-63 letters, digits, '-', '_' or '.', starting with a letter or digit",
                "e.g. NAME hello-server");
            return;
        }

        _name = token.Value;
    }

    private void ParseConsole(DirectiveArgs a)
    {
        if (!SingleToken(a, "shell or none", out var token) || !FirstUse(a))
        {
            return;
        }

        if (!ConsoleModes.TryParse(token.Value, out var mode))
        {
            Error(a.PositionOf(token.Start), FormfileDiagnosticCodes.InvalidValue,
                $"CONSOLE expects 'shell' (a shell answers on the serial console, the default) or 'none' (output only), got '{Shorten(token.Value)}'",
                "e.g. CONSOLE none");
            return;
        }

        _console = mode;
    }

    private void ParseDescription(DirectiveArgs a)
    {
        if (!FirstUse(a))
        {
            return;
        }

        var raw = a.Raw;
        _description = raw.Length >= 2 && raw[0] == '"' && raw[^1] == '"' ? raw[1..^1] : raw;
    }

    private void ParseModel(DirectiveArgs a)
    {
        if (!SingleToken(a, "required:<model-id> or preferred:<model-id>", out var token) || !FirstUse(a))
        {
            return;
        }

        var colon = token.Value.IndexOf(':');
        var kind = colon > 0 ? token.Value[..colon].ToLowerInvariant() : "";
        var id = colon > 0 ? token.Value[(colon + 1)..] : "";
        if (kind is not ("required" or "preferred") || !ModelIdPattern().IsMatch(id))
        {
            Error(a.PositionOf(token.Start), FormfileDiagnosticCodes.InvalidValue,
                $"MODEL expects required:<model-id> or preferred:<model-id>, got '{Shorten(token.Value)}'", "e.g. MODEL preferred:llama3");
            return;
        }

        _model = new ModelRequirement(id, kind == "required");
    }

    private void ParseFrom(DirectiveArgs a)
    {
        if (!SingleToken(a, "a base image", out var token))
        {
            return;
        }

        var resolved = BaseImage.TryResolve(token.Value);
        if (resolved is null)
        {
            var nearest = Suggestions.Nearest(token.Value, BaseImage.KnownReferences);
            Error(a.PositionOf(token.Start), FormfileDiagnosticCodes.InvalidValue,
                $"unsupported base image '{Shorten(token.Value)}'; Formation builds 'debian:bookworm' (the default) and 'tiny' (busybox)",
                nearest is null ? "use FROM debian:bookworm or FROM tiny" : $"did you mean 'FROM {nearest}'?");
            return;
        }

        if (FirstUse(a))
        {
            _from = resolved;
            _fromLocation = a.At;
        }
    }

    private void ParseEntrypoint(DirectiveArgs a)
    {
        var raw = a.Raw;
        FormfileEntrypoint? entrypoint;
        if (raw.StartsWith('['))
        {
            if (!TryParseJsonArray(a, raw, out var items))
            {
                return;
            }

            if (items.Length == 0)
            {
                Warn(a.At, FormfileDiagnosticCodes.Suspicious, "empty ENTRYPOINT [] is ignored", "name the program to run, e.g. ENTRYPOINT [\"/app/run.sh\"]");
                return;
            }

            if (items[0].Length == 0)
            {
                Error(a.PositionOf(a.Start), FormfileDiagnosticCodes.InvalidValue, "the ENTRYPOINT program name is empty",
                    "e.g. ENTRYPOINT [\"python3\", \"/app/server.py\"]");
                return;
            }

            entrypoint = new FormfileEntrypoint(items, ShellForm: false);
        }
        else
        {
            entrypoint = new FormfileEntrypoint([raw], ShellForm: true);
        }

        if (_entrypointLocation is { } previous)
        {
            Warn(a.At, FormfileDiagnosticCodes.Duplicate,
                $"ENTRYPOINT is given again (first at line {previous.Line}); this one wins", "remove the earlier ENTRYPOINT");
        }

        _entrypoint = entrypoint;
        _entrypointLocation = a.At;
    }

    /// <summary>Parses a JSON array of strings (exec form of ENTRYPOINT and RUN).</summary>
    private bool TryParseJsonArray(DirectiveArgs a, string raw, out ImmutableArray<string> items)
    {
        items = [];
        try
        {
            using var document = JsonDocument.Parse(raw, new JsonDocumentOptions { MaxDepth = 4 });
            if (document.RootElement.ValueKind != JsonValueKind.Array
                || document.RootElement.EnumerateArray().Any(e => e.ValueKind != JsonValueKind.String))
            {
                Error(a.PositionOf(a.Start), FormfileDiagnosticCodes.Syntax,
                    $"{a.Keyword} in JSON form must be an array of strings", $"e.g. {FormfileUsage.Example(a.Directive)}");
                return false;
            }

            items = [.. document.RootElement.EnumerateArray().Select(e => e.GetString()!)];
            return true;
        }
        catch (JsonException ex)
        {
            var offset = (int)Math.Min(raw.Length - 1, ex.BytePositionInLine ?? 0);
            Error(a.PositionOf(a.Start + Math.Max(0, offset)), FormfileDiagnosticCodes.Syntax,
                $"{a.Keyword} starts with '[' but is not a valid JSON array of strings",
                $"quote every element with double quotes and separate them with commas, e.g. {FormfileUsage.Example(a.Directive)}");
            return false;
        }
    }

    private void ParseExpose(DirectiveArgs a)
    {
        if (!Tokens(a, out var tokens))
        {
            return;
        }

        foreach (var token in tokens)
        {
            var value = token.Value;
            var protocol = PortProtocol.Tcp;
            var slash = value.IndexOf('/');
            if (slash >= 0)
            {
                var suffix = value[(slash + 1)..].ToLowerInvariant();
                if (suffix is not ("tcp" or "udp"))
                {
                    Error(a.PositionOf(token.Start + slash + 1), FormfileDiagnosticCodes.InvalidValue,
                        $"EXPOSE protocol must be tcp or udp, got '{Shorten(value[(slash + 1)..])}'", "e.g. EXPOSE 53/udp");
                    continue;
                }

                protocol = suffix == "udp" ? PortProtocol.Udp : PortProtocol.Tcp;
                value = value[..slash];
            }

            if (!TryParseInt(value, out var port) || port is < 1 or > 65535)
            {
                Error(a.PositionOf(token.Start), FormfileDiagnosticCodes.InvalidValue,
                    $"EXPOSE port must be a number from 1 to 65535, got '{Shorten(value)}'", "e.g. EXPOSE 8080 or EXPOSE 53/udp");
                continue;
            }

            var exposed = new ExposedPort(port, protocol);
            if (!_exposed.Contains(exposed))
            {
                _exposed.Add(exposed);
            }
        }
    }

    /// <summary>Tokenizes the arguments; reports an unterminated quote.</summary>
    private bool Tokens(DirectiveArgs a, out List<ArgumentToken> tokens)
    {
        if (ArgumentTokenizer.TryTokenize(a.Line.Text, a.Start, out tokens, out var errorIndex))
        {
            return true;
        }

        Error(a.PositionOf(errorIndex), FormfileDiagnosticCodes.Syntax, $"unterminated quote {a.Line.Text[errorIndex]} in {a.Keyword}",
            $"close the quote with {a.Line.Text[errorIndex]}, or escape a literal double quote as \\\"");
        return false;
    }

    /// <summary>Requires exactly one argument token.</summary>
    private bool SingleToken(DirectiveArgs a, string what, out ArgumentToken token)
    {
        token = default;
        if (!Tokens(a, out var tokens))
        {
            return false;
        }

        if (tokens.Count != 1)
        {
            Error(a.PositionOf(tokens.Count > 1 ? tokens[1].Start : a.Start), FormfileDiagnosticCodes.InvalidValue,
                $"{a.Keyword} takes exactly one argument ({what}), got {tokens.Count}",
                $"e.g. {FormfileUsage.Example(a.Directive)}; quote values that contain spaces");
            return false;
        }

        token = tokens[0];
        return true;
    }

    private static bool TryParseInt(string value, out int result) =>
        int.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out result);
}
