using Formation.Dashboard.Components.Shared;
using Formation.Edge;

namespace Formation.Dashboard.Components.Pages;

/// <summary>The edge proxy's routes (<c>form route list</c>), read again every few seconds.</summary>
public sealed partial class EdgeRoutes : LivePage
{
    private IReadOnlyList<EdgeRoute> _routes = [];
    private IReadOnlyList<EdgeTcpRoute> _tcpRoutes = [];

    protected override async Task LoadAsync()
    {
        var http = Formation.ListRoutesAsync();
        var tcp = Formation.ListTcpRoutesAsync();
        (_routes, _tcpRoutes) = (await http, await tcp);
    }

    protected override Task SubscribeAsync()
    {
        PollEvery(TimeSpan.FromSeconds(5));
        return Task.CompletedTask;
    }

    /// <summary>HTTP only, or the certificate's subject, kind and expiry.</summary>
    public static string TlsText(EdgeRouteTls? tls) =>
        tls is null ? "HTTP only" : $"{tls.Subject}, {(tls.SelfSigned ? "self-signed" : "provided")}, until {tls.NotAfter:yyyy-MM-dd}";
}
