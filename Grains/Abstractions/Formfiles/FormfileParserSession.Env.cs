using System.Text.RegularExpressions;

namespace Formation.Formfiles;

/// <summary>ENV [--scope=system|user:NAME|service:NAME] KEY=value... (or the legacy ENV KEY value).</summary>
internal sealed partial class FormfileParserSession
{
    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex EnvNamePattern();

    [GeneratedRegex("^[A-Za-z0-9_][A-Za-z0-9_.@-]{0,63}$")]
    private static partial Regex ScopeNamePattern();

    private void ParseEnv(DirectiveArgs a)
    {
        if (!Tokens(a, out var tokens))
        {
            return;
        }

        var scope = EnvScopeKind.System;
        string? scopeName = null;
        if (tokens[0].Value.StartsWith("--") && !tokens[0].Quoted)
        {
            if (!TryParseScope(a, tokens[0], out scope, out scopeName))
            {
                return;
            }

            tokens.RemoveAt(0);
            if (tokens.Count == 0)
            {
                Error(a.PositionOf(a.Start), FormfileDiagnosticCodes.MissingArgument, "ENV has a scope but no KEY=value", "e.g. ENV --scope=system PORT=8080");
                return;
            }
        }

        var pairs = new List<(string Name, string Value, int Start)>();
        if (!tokens[0].Value.Contains('=') && !tokens[0].Quoted)
        {
            // Legacy form: ENV KEY value words...
            var valueText = tokens.Count > 1 ? a.Line.Text[tokens[1].Start..].TrimEnd() : "";
            var value = tokens.Count == 2 ? tokens[1].Value : valueText;
            pairs.Add((tokens[0].Value, value, tokens[0].Start));
        }
        else
        {
            foreach (var token in tokens)
            {
                var eq = token.Value.IndexOf('=');
                if (eq <= 0)
                {
                    Error(a.PositionOf(token.Start), FormfileDiagnosticCodes.InvalidValue,
                        $"ENV expects KEY=value, got '{Shorten(token.Value)}'", "quote values that contain spaces: ENV GREETING=\"hello world\"");
                    return;
                }

                pairs.Add((token.Value[..eq], token.Value[(eq + 1)..], token.Start));
            }
        }

        var variables = new List<EnvVariable>();
        foreach (var (name, value, start) in pairs)
        {
            if (!EnvNamePattern().IsMatch(name))
            {
                Error(a.PositionOf(start), FormfileDiagnosticCodes.InvalidValue,
                    $"'{Shorten(name)}' is not a valid variable name: use letters, digits and '_', not starting with a digit", "e.g. ENV APP_PORT=8080");
                return;
            }

            var variable = new EnvVariable(name, value, scope, scopeName);
            variables.Add(variable);
            _env.Add((variable, a.At));
        }

        _instructions.Add(new EnvInstruction(a.At, [.. variables]));
    }

    private bool TryParseScope(DirectiveArgs a, ArgumentToken token, out EnvScopeKind scope, out string? scopeName)
    {
        scope = EnvScopeKind.System;
        scopeName = null;
        const string Prefix = "--scope=";
        if (!token.Value.StartsWith(Prefix, StringComparison.Ordinal))
        {
            var option = token.Value.Split('=')[0];
            Error(a.PositionOf(token.Start), FormfileDiagnosticCodes.InvalidValue, $"ENV has no option '{Shorten(option)}'",
                Suggestions.Nearest(option, ["--scope"]) is null ? "the only option is --scope=system|user:<name>|service:<name>" : "did you mean '--scope='?");
            return false;
        }

        var value = token.Value[Prefix.Length..];
        var colon = value.IndexOf(':');
        var kind = (colon >= 0 ? value[..colon] : value).ToLowerInvariant();
        var name = colon >= 0 ? value[(colon + 1)..] : null;
        switch (kind)
        {
            case "system" when name is null:
                return true;
            case "user" or "service" when name is not null && ScopeNamePattern().IsMatch(name):
                scope = kind == "user" ? EnvScopeKind.User : EnvScopeKind.Service;
                scopeName = scope == EnvScopeKind.Service && name is "form-app" or "entrypoint" ? EnvVariable.EntrypointService : name;
                return true;
            default:
                var nearest = Suggestions.Nearest(kind, ["system", "user", "service"]);
                Error(a.PositionOf(token.Start + Prefix.Length), FormfileDiagnosticCodes.InvalidValue,
                    $"ENV scope must be system, user:<name> or service:<name>, got '{Shorten(value)}'",
                    nearest is null || nearest == kind ? "e.g. --scope=user:dev" : $"did you mean '{nearest}'?");
                return false;
        }
    }
}
