using Formation.Audit;
using Formation.Dashboard.Components.Shared;

namespace Formation.Dashboard.Components.Pages;

/// <summary>The cluster's audit trail (<c>form audit</c>), newest first, read again every few seconds.</summary>
public sealed partial class AuditTrail : LivePage
{
    /// <summary>How many of the newest rows the page shows.</summary>
    public const int Rows = 200;

    private IReadOnlyList<AuditEntry> _rows = [];

    protected override async Task LoadAsync()
    {
        var rows = await Formation.ReadAuditAsync(new AuditQuery(Limit: Rows));
        _rows = rows.Reverse().ToList();
    }

    protected override Task SubscribeAsync()
    {
        PollEvery(TimeSpan.FromSeconds(5));
        return Task.CompletedTask;
    }

    /// <summary><c>ok</c>, or the error's kind and message.</summary>
    public static string ResultText(AuditEntry row) => row.Error is { } error ? $"{row.Result}: {error}" : row.Result;
}
