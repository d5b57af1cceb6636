using System.CommandLine;
using System.Text.Json;
using Formation.Audit;
using Formation.Cli.Output;
using Formation.Errors;

namespace Formation.Cli.Commands;

/// <summary>
/// <c>form audit [--follow] [--account A] [--since 1h] [--limit N] [--json]</c>: the cluster's audit trail, newest last
/// (admins only). <c>--follow</c> keeps polling for new rows until Ctrl-C.
/// </summary>
public static class AuditCommand
{
    /// <summary>How often <c>--follow</c> asks for new rows.</summary>
    public static readonly TimeSpan FollowPoll = TimeSpan.FromSeconds(1);

    public static Command Create(FormApp app)
    {
        var follow = new Option<bool>("--follow", "-f") { Description = "Keep printing new rows until Ctrl-C" };
        var account = new Option<string?>("--account") { Description = "Only this account's requests", HelpName = "account" };
        var since = new Option<string?>("--since") { Description = "Only requests of the last DURATION (e.g. 30m, 1h, 7d)", HelpName = "duration" };
        var limit = new Option<int>("--limit", "-n")
        {
            Description = $"Show at most this many of the newest rows (default 50, at most {AuditQuery.MaxLimit})",
            DefaultValueFactory = _ => 50,
        };
        var json = new Option<bool>("--json") { Description = "Print JSON (with --follow: one object per line)" };
        var command = new Command("audit", "Show who changed what, when, and how it ended (admins)") { follow, account, since, limit, json };
        command.SetAction((parse, ct) =>
        {
            DateTimeOffset? from = null;
            if (parse.GetValue(since) is { } text)
            {
                if (!Durations.TryParse(text, out var window) || window <= TimeSpan.Zero)
                {
                    return Task.FromResult(app.Fail(FormationException.Invalid($"--since '{text}' is not a duration: use e.g. 30m, 1h or 7d.")));
                }

                from = DateTimeOffset.UtcNow - window;
            }

            var query = new AuditQuery(parse.GetValue(account), from, null, parse.GetValue(limit));
            return app.WithClusterAsync(parse, ct, client =>
                RunAsync(app.Terminal, client.GetGrain<IAuditGrain>(IAuditGrain.Key), query, parse.GetValue(follow), parse.GetValue(json), ct));
        });
        return command;
    }

    private static async Task<int> RunAsync(Terminal terminal, IAuditGrain audit, AuditQuery query, bool follow, bool json, CancellationToken ct)
    {
        var rows = await audit.ReadAsync(query);
        if (!follow)
        {
            if (json)
            {
                Json.Write(terminal.Out, rows);
            }
            else if (rows.Count == 0)
            {
                terminal.Out.WriteLine("No audited requests match.");
            }
            else
            {
                var table = new TextTable("TIME", "ACCOUNT", "ACTION", "TARGET", "RESULT");
                foreach (var row in rows)
                {
                    table.Add(Time(row), row.Account, row.Action, row.Target, Result(row));
                }

                terminal.Write(table);
            }

            return ExitCodes.Ok;
        }

        if (!json)
        {
            terminal.Out.WriteLine(Line("TIME", "ACCOUNT", "ACTION", "TARGET", "RESULT"));
        }

        var after = 0L;
        try
        {
            while (true)
            {
                foreach (var row in rows)
                {
                    terminal.Out.WriteLine(json ? JsonSerializer.Serialize(row, Json.Compact) : Line(Time(row), row.Account, row.Action, row.Target, Result(row)));
                    after = Math.Max(after, row.Id);
                }

                await terminal.Out.FlushAsync(ct);
                await Task.Delay(FollowPoll, ct);
                rows = await audit.ReadAsync(query with { AfterId = after, Limit = AuditQuery.MaxLimit });
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return ExitCodes.Ok;
        }
    }

    private static string Time(AuditEntry row) => row.At.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);

    private static string Result(AuditEntry row) => row.Error is { } error ? $"{row.Result}: {error}" : row.Result;

    /// <summary>A followed row: fixed column widths, as rows arrive one by one and cannot be measured together.</summary>
    private static string Line(string time, string account, string action, string target, string result) =>
        $"{time,-20}  {account,-12}  {action,-22}  {target,-28}  {result}";
}
