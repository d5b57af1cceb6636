using System.Globalization;
using Formation.Services;

namespace Formation.Formfiles;

/// <summary>
/// HEALTHCHECK http PORT [PATH] [interval=D] [threshold=N] [start=D] | HEALTHCHECK tcp PORT [...]: the check a service's
/// replicas get by default (<c>form deploy</c> flags override it). Its limits are <see cref="HealthCheck"/>'s; the port
/// must be EXPOSEd over TCP (checked once the whole file is read, so EXPOSE may come later).
/// </summary>
internal sealed partial class FormfileParserSession
{
    private HealthCheck? _health;
    private FormfileLocation _healthPortLocation;

    private void ParseHealthcheck(DirectiveArgs a)
    {
        if (!Tokens(a, out var tokens) || !FirstUse(a))
        {
            return;
        }

        var kind = tokens[0].Value.ToLowerInvariant();
        if (kind is not ("http" or "tcp"))
        {
            var inside = kind is "cmd" or "cmd-shell" or "none";
            Error(a.PositionOf(tokens[0].Start), FormfileDiagnosticCodes.InvalidValue,
                inside
                    ? $"HEALTHCHECK {Shorten(tokens[0].Value)} is Docker's form; Formation checks a replica from its node, over the network"
                    : $"HEALTHCHECK expects http or tcp, got '{Shorten(tokens[0].Value)}'",
                $"e.g. {FormfileUsage.Example("HEALTHCHECK")} or HEALTHCHECK tcp 5432");
            return;
        }

        if (tokens.Count < 2 || tokens[1].Value.Contains('='))
        {
            Error(a.PositionOf(tokens.Count < 2 ? a.Line.Text.TrimEnd().Length : tokens[1].Start), FormfileDiagnosticCodes.MissingArgument,
                $"HEALTHCHECK {kind} needs the port to check: {FormfileUsage.Syntax("HEALTHCHECK")}", $"e.g. HEALTHCHECK {kind} 8080");
            return;
        }

        var portToken = tokens[1];
        if (!TryParseInt(portToken.Value, out var port) || port is < 1 or > 65535)
        {
            Error(a.PositionOf(portToken.Start), FormfileDiagnosticCodes.InvalidValue,
                $"HEALTHCHECK port must be a number from 1 to 65535, got '{Shorten(portToken.Value)}'", $"e.g. HEALTHCHECK {kind} 8080");
            return;
        }

        var next = 2;
        string? path = null;
        if (kind == "http")
        {
            path = "/";
            if (tokens.Count > 2 && (tokens[2].Quoted || tokens[2].Value.StartsWith('/') || !tokens[2].Value.Contains('=')))
            {
                path = tokens[2].Value;
                if (!HealthCheck.IsValidPath(path))
                {
                    Error(a.PositionOf(tokens[2].Start), FormfileDiagnosticCodes.InvalidValue,
                        $"HEALTHCHECK path '{Shorten(path)}' must start with '/' and hold no spaces or control characters (at most {HealthCheck.MaxPathLength} characters)",
                        "e.g. HEALTHCHECK http 8080 /healthz");
                    return;
                }

                next = 3;
            }
        }

        var interval = HealthCheck.DefaultInterval;
        var threshold = HealthCheck.DefaultThreshold;
        var start = HealthCheck.DefaultStartPeriod;
        FormfileLocation? startAt = null, intervalAt = null;
        var given = new HashSet<string>(StringComparer.Ordinal);
        foreach (var token in tokens.Skip(next))
        {
            var at = a.PositionOf(token.Start);
            var eq = token.Value.IndexOf('=');
            var key = eq > 0 ? token.Value[..eq].ToLowerInvariant() : "";
            var value = eq > 0 ? token.Value[(eq + 1)..] : "";
            if (key is not ("interval" or "threshold" or "start"))
            {
                var nearest = Suggestions.Nearest(eq > 0 ? key : token.Value.Split(':')[0], ["interval", "threshold", "start"]);
                Error(at, FormfileDiagnosticCodes.InvalidValue,
                    kind == "tcp" && eq < 0 && next == 2 && token == tokens[2]
                        ? $"HEALTHCHECK tcp takes no path, got '{Shorten(token.Value)}'"
                        : $"unknown HEALTHCHECK option '{Shorten(token.Value)}'; options are interval=DURATION, threshold=N and start=DURATION",
                    nearest is null ? "e.g. HEALTHCHECK http 8080 /healthz interval=5s threshold=3 start=60s" : $"did you mean '{nearest}={(value.Length > 0 ? Shorten(value) : "...")}'?");
                return;
            }

            if (!given.Add(key))
            {
                Error(at, FormfileDiagnosticCodes.Duplicate, $"HEALTHCHECK option {key} is given more than once", "keep only one of them");
                return;
            }

            var valueAt = a.PositionOf(token.Start + eq + 1);
            switch (key)
            {
                case "interval":
                    if (!TryParseDuration(value, out interval) || interval < HealthCheck.MinInterval || interval > HealthCheck.MaxInterval)
                    {
                        Error(valueAt, FormfileDiagnosticCodes.InvalidValue,
                            $"HEALTHCHECK interval must be a duration from 0.5s to 5m, got '{Shorten(value)}'", "e.g. interval=5s (units: ms, s, m, h; a bare number is seconds)");
                        return;
                    }

                    intervalAt = at;
                    break;
                case "threshold":
                    if (!TryParseInt(value, out threshold) || threshold < 1 || threshold > HealthCheck.MaxThreshold)
                    {
                        Error(valueAt, FormfileDiagnosticCodes.InvalidValue,
                            $"HEALTHCHECK threshold must be a number of failed checks in a row from 1 to {HealthCheck.MaxThreshold}, got '{Shorten(value)}'", "e.g. threshold=3");
                        return;
                    }

                    break;
                default:
                    if (!TryParseDuration(value, out start) || start <= TimeSpan.Zero || start > HealthCheck.MaxStartPeriod)
                    {
                        Error(valueAt, FormfileDiagnosticCodes.InvalidValue,
                            $"HEALTHCHECK start must be a duration up to 1h, got '{Shorten(value)}'", "e.g. start=60s (units: ms, s, m, h; a bare number is seconds)");
                        return;
                    }

                    startAt = at;
                    break;
            }
        }

        if (start < interval)
        {
            Error(startAt ?? intervalAt ?? a.At, FormfileDiagnosticCodes.Conflict,
                $"HEALTHCHECK start period ({start.TotalSeconds:0.#} s) is shorter than its interval ({interval.TotalSeconds:0.#} s): no check would run in time",
                $"give start={Math.Ceiling(interval.TotalSeconds * 3)}s or more");
            return;
        }

        _health = new HealthCheck(port, path, interval, threshold, start);
        _healthPortLocation = a.PositionOf(portToken.Start);
    }

    /// <summary>Called by <see cref="Finish"/>: the checked port must be one the image EXPOSEs over TCP.</summary>
    private void CheckHealthPort()
    {
        if (_health is { } health && !_exposed.Contains(new ExposedPort(health.Port, PortProtocol.Tcp)))
        {
            var tcp = _exposed.Where(p => p.Protocol == PortProtocol.Tcp).Select(p => p.Port.ToString(CultureInfo.InvariantCulture)).ToList();
            Error(_healthPortLocation, FormfileDiagnosticCodes.Conflict,
                $"HEALTHCHECK port {health.Port} is not EXPOSEd over tcp" + (tcp.Count == 0 ? " (this Formfile EXPOSEs no tcp port)" : $" (EXPOSEd: {string.Join(", ", tcp)})"),
                $"add 'EXPOSE {health.Port}/tcp', or check a port the image EXPOSEs");
        }
    }

    /// <summary><c>500ms</c>, <c>5s</c>, <c>2m</c>, <c>1h</c>, <c>1.5s</c>, or a bare number of seconds (see <see cref="Durations"/>).</summary>
    internal static bool TryParseDuration(string text, out TimeSpan duration)
    {
        // Health checks take no days: "1d" stays an error here, as it was.
        var parsed = Durations.TryParse(text, out duration);
        return parsed && !text.Trim().EndsWith('d') && !text.Trim().EndsWith('D');
    }
}
