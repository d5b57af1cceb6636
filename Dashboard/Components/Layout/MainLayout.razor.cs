using Formation.Dashboard.Cluster;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using MudBlazor;

namespace Formation.Dashboard.Components.Layout;

/// <summary>
/// App bar (connection state, theme switch), the navigation drawer and the page. A page that throws while rendering is
/// replaced by a message with a retry, not a dead circuit; a lost cluster connection shows a banner until it is back.
/// </summary>
public sealed partial class MainLayout : IDisposable
{
    private MudThemeProvider? _themeProvider;
    private ErrorBoundary? _errors;
    private bool _drawerOpen = true;
    private bool _dark;
    private ConnectionStatus _status = null!;

    [Inject]
    private ClusterConnector Connector { get; set; } = null!;

    [Inject]
    private NavigationManager Navigation { get; set; } = null!;

    protected override void OnInitialized()
    {
        _status = Connector.Status;
        Connector.StatusChanged += OnStatusChanged;
        Navigation.LocationChanged += OnLocationChanged;
    }

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (firstRender && _themeProvider is not null)
        {
            _dark = await _themeProvider.GetSystemDarkModeAsync();
            StateHasChanged();
        }
    }

    public void Dispose()
    {
        Connector.StatusChanged -= OnStatusChanged;
        Navigation.LocationChanged -= OnLocationChanged;
    }

    private void ToggleDrawer() => _drawerOpen = !_drawerOpen;

    private void ToggleTheme() => _dark = !_dark;

    private void Recover() => _errors?.Recover();

    private void OnLocationChanged(object? sender, Microsoft.AspNetCore.Components.Routing.LocationChangedEventArgs e) => _errors?.Recover();

    private void OnStatusChanged(ConnectionStatus status) => _ = InvokeAsync(() =>
    {
        _status = status;
        StateHasChanged();
    });
}
