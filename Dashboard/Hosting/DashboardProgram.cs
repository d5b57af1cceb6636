using System.Net;
using System.Net.Sockets;
using Formation.Dashboard.Components;

namespace Formation.Dashboard.Hosting;

/// <summary>The formation-dashboard process: parse the flags, serve the web console, connect to the cluster in the background.</summary>
public static class DashboardProgram
{
    public static async Task<int> RunAsync(string[] args)
    {
        if (!DashboardArguments.TryParse(args, out var options, out var help, out var error))
        {
            Console.Error.WriteLine($"formation-dashboard: {error} See --help.");
            return 1;
        }

        if (help)
        {
            Console.WriteLine(DashboardArguments.Usage());
            return 0;
        }

        var app = Build(options);
        try
        {
            await app.StartAsync();
        }
        catch (IOException ex) when (ex.InnerException is SocketException { SocketErrorCode: SocketError.AddressAlreadyInUse } || ex.Message.Contains("address already in use", StringComparison.OrdinalIgnoreCase))
        {
            Console.Error.WriteLine($"formation-dashboard: {options.Listen} is already in use (is another dashboard running?). Choose another with --listen.");
            return 1;
        }

        Console.WriteLine($"formation-dashboard: serving {options.Listen} (cluster: {(options.Postgres is null ? "gateway " + options.Gateway : "PostgreSQL membership")}). Press Ctrl-C to stop.");
        if (!IsLoopback(options.Listen))
        {
            Console.WriteLine("formation-dashboard: warning: the dashboard has no authentication yet and listens beyond this host; anyone who reaches it can run VMs.");
        }

        await app.WaitForShutdownAsync();
        return 0;
    }

    /// <summary>The web application (also used by the tests, on a free port).</summary>
    public static WebApplication Build(DashboardOptions options)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = [],
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.WebHost.UseStaticWebAssets();
        builder.WebHost.UseUrls(options.Listen);
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss.fff ";
        });
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        builder.Logging.AddFilter("Orleans", LogLevel.Error);
        builder.Services.AddFormationDashboard(options);

        var app = builder.Build();
        app.UseExceptionHandler("/error", createScopeForErrors: true);
        app.UseAntiforgery();
        app.MapStaticAssets();
        app.UseStaticFiles(new StaticFileOptions
        {
            FileProvider = new Microsoft.Extensions.FileProviders.PhysicalFileProvider(Path.Combine(AppContext.BaseDirectory, "xterm")),
            RequestPath = "/lib/xterm",
        });
        app.MapConsoleLogDownload();
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
        return app;
    }

    private static bool IsLoopback(string url)
    {
        var host = new Uri(url).Host;
        return host == "localhost" || (IPAddress.TryParse(host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));
    }
}
