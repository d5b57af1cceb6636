using System.Net.Sockets;
using Formation.Grains.Scheduling;
using Formation.Grains.Vms;
using Formation.Silo.Hypervisors.Qemu;
using Formation.Silo.Vms;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Formation.Silo.Hosting;

/// <summary>The formation-silo process: read configuration, validate it, run the silo until Ctrl-C or SIGTERM.</summary>
public static class SiloProgram
{
    public static async Task<int> RunAsync(string[] args)
    {
        if (!SiloArguments.TryParse(args, out var flags, out var help, out var error))
        {
            Console.Error.WriteLine($"formation-silo: {error} See --help.");
            return 1;
        }

        if (help)
        {
            Console.WriteLine(SiloArguments.Usage());
            return 0;
        }

        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            ContentRootPath = AppContext.BaseDirectory,
            Args = [],
        });
        builder.Configuration.AddInMemoryCollection(flags);
        var options = builder.Configuration.GetSection(FormationOptions.Section).Get<FormationOptions>() ?? new FormationOptions();
        var config = SiloConfig.Resolve(options, out var configProblems);
        var vms = builder.Configuration.GetSection(VmRuntimeOptions.Section).Get<VmRuntimeOptions>() ?? new VmRuntimeOptions();
        var qemu = builder.Configuration.GetSection(QemuOptions.Section).Get<QemuOptions>() ?? new QemuOptions();
        var scheduler = builder.Configuration.GetSection(SchedulerOptions.Section).Get<SchedulerOptions>() ?? new SchedulerOptions();
        var dns = builder.Configuration.GetSection(Dns.DnsOptions.Section).Get<Dns.DnsOptions>() ?? new Dns.DnsOptions();
        List<string> problems = [.. configProblems, .. vms.Problems(), .. qemu.Problems(), .. scheduler.Problems(), .. dns.Problems()];
        if (problems.Count > 0)
        {
            Console.Error.WriteLine("formation-silo: invalid configuration:");
            foreach (var p in problems)
            {
                Console.Error.WriteLine($"  - {p}");
            }

            return 1;
        }

        if (builder.Configuration.GetSection(VmCatalogTestHooks.Section).Get<VmCatalogTestHooks>() is { HoldCreateAfterPlacement: true })
        {
            Console.Error.WriteLine("formation-silo: WARNING: test hook Formation:Testing:HoldCreateAfterPlacement is on: every VM create hangs after placement.");
        }

        if (config.WithoutIdentity)
        {
            Console.Error.WriteLine($"formation-silo: WARNING: benchmark switch Formation:BenchmarkWithoutIdentity is on ({Identity.BenchmarkIdentitySwitch.EnvironmentVariable}=1): no TLS, no caller checks.");
        }

        using var dataLock = DataDirectoryLock.TryAcquire(config.DataDirectory, out var lockError);
        if (dataLock is null)
        {
            Console.Error.WriteLine($"formation-silo: {lockError}");
            return 1;
        }

        using var hostLocks = HostLocks.TryAcquire(config, out var hostLockError);
        if (hostLocks is null)
        {
            Console.Error.WriteLine($"formation-silo: could not start node '{config.NodeId}': {hostLockError}");
            return 1;
        }

        Identity.NodeIdentitySetup.Outcome? identity = null;
        if (config.Mode == FormationMode.Cluster)
        {
            try
            {
                identity = await Identity.NodeIdentitySetup.PrepareAsync(config, options, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, CancellationToken.None);
            }
            catch (Exception ex) when (ex is Formation.Identity.CredentialException or Npgsql.NpgsqlException or Storage.SchemaMigrationException)
            {
                Console.Error.WriteLine($"formation-silo: could not start node '{config.NodeId}': {ex.Message}");
                return 1;
            }

        }
        else
        {
            try
            {
                identity = Identity.NodeIdentitySetup.PrepareEmbedded(config);
            }
            catch (Exception ex) when (ex is Formation.Identity.CredentialException or IOException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"formation-silo: could not start node '{config.NodeId}': {ex.Message}");
                return 1;
            }
        }

        config = config with { Credential = identity.Node, Authority = identity.Authority, IdentityStore = identity.Store };
        Console.WriteLine($"formation-silo: node '{config.NodeId}': {identity.Summary}.");

        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss.fff ";
        });
        builder.Logging.AddFilter("Orleans", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        builder.Logging.AddFilter("Polly", LogLevel.Warning);
        builder.UseOrleans(silo => silo.AddFormationSilo(config));
        if (config.HttpApi is { } httpApi)
        {
            // Registered after the silo: hosted services start in order, so grains answer the first request.
            httpApi.LocalGateway = $"{config.AdvertisedAddress}:{config.GatewayPort}";
            builder.Services.AddSingleton(httpApi);
            builder.Services.AddHostedService<HttpApi.HttpApiHost>();
        }

        builder.Services.AddSingleton<Grains.Hosting.IJoinTokenIssuer>(sp => new Identity.JoinTokenIssuer(identity.Store, config.Mode == FormationMode.Cluster ? identity.Node : null, TimeProvider.System));
        if (config.Mode == FormationMode.Cluster && identity.Authority is { } authority)
        {
            // Only the node that holds the CA key signs joining nodes' certificates.
            builder.Services.AddHostedService(sp => ActivatorUtilities.CreateInstance<Identity.JoinListener>(
                sp, authority, identity.Node, identity.Store!, config.JoinPort, TimeProvider.System));
        }

        var edge = options.Edge;
        if (edge.HttpPort != 0 || edge.HttpsPort != 0 || edge.H2cPort != 0)
        {
            edge.Explicit = builder.Configuration[$"{Edge.EdgeOptions.Section}:HttpPort"] is not null;
            edge.HttpsExplicit = builder.Configuration[$"{Edge.EdgeOptions.Section}:HttpsPort"] is not null;
            builder.Services.AddSingleton(edge);
            builder.Services.AddSingleton(new Edge.EdgeTable(TimeProvider.System));
            builder.Services.AddHostedService<Edge.EdgeTableFeeder>();
            builder.Services.AddSingleton<Edge.EdgeProxyHost>();
            builder.Services.AddHostedService(sp => sp.GetRequiredService<Edge.EdgeProxyHost>());
            // A TCP route never opens on one of the silo's own ports, even one the route catalog cannot know of.
            edge.ReservedPorts.UnionWith(new[] { config.SiloPort, config.GatewayPort, config.MetricsPort, edge.HttpPort, edge.HttpsPort, edge.H2cPort }.Where(p => p > 0));
            edge.ReservedPorts.UnionWith(config.HttpApi is { } api ? [api.Port] : []);
            edge.ReservedPorts.UnionWith(config.Discovery?.Listen.ToTcpEndPoint()?.Port is int libp2p ? [libp2p] : []);
            edge.ReservedPorts.UnionWith(dns.Enabled ? [dns.Port] : []);
            edge.ReservedPorts.UnionWith(config.Mode == FormationMode.Cluster && identity.Authority is not null ? [config.JoinPort] : []);
            builder.Services.AddSingleton<Edge.EdgeTcpProxy>();
            builder.Services.AddHostedService(sp => sp.GetRequiredService<Edge.EdgeTcpProxy>());
        }

        var watchdog = new ShutdownWatchdog(TimeSpan.FromSeconds(Math.Max(options.ShutdownTimeoutSeconds, 1)), config.NodeId);
        // The host's own stop gets most of the watchdog's time; the watchdog ends whatever is still hanging after that.
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = watchdog.Timeout * 0.8);

        using var host = builder.Build();
        watchdog.Watch(host.Services.GetRequiredService<IHostApplicationLifetime>());
        try
        {
            await host.StartAsync();
        }
        catch (Exception ex)
        {
            Console.Error.WriteLine($"formation-silo: could not start node '{config.NodeId}': {Explain(ex, config)}");
            return 1;
        }

        Console.WriteLine(
            $"formation-silo: node '{config.NodeId}' is up ({config.Mode.ToString().ToLowerInvariant()} mode, data in {config.DataDirectory}); " +
            $"gateway {config.AdvertisedAddress}:{config.GatewayPort}" +
            (config.Discovery is { } p2p ? $"; libp2p {string.Join(' ', p2p.Advertised)}" : "") +
            (config.HttpApi is { } http ? $"; HTTP API http://127.0.0.1:{http.Port}" : "") +
            $"; mutual TLS{(config.Mode == FormationMode.Cluster && identity.Authority is not null ? $", join endpoint on port {config.JoinPort}" : "")}" +
            (host.Services.GetService<Edge.EdgeProxyHost>() is { } proxy && (proxy.Port > 0 || proxy.TlsPort > 0)
                ? $"; edge proxy on port {proxy.Port}{(proxy.TlsPort > 0 ? $", TLS on {proxy.TlsPort}" : "")}{(proxy.H2cPort > 0 ? $", h2c on {proxy.H2cPort}" : "")}"
                : "") +
            (config.MetricsUrl.Length > 0 ? $"; metrics {config.MetricsUrl}" : "") +
            (config.Otlp is { } otlp ? $"; OTLP to {otlp}" : "") + ". Press Ctrl-C to stop.");
        await host.WaitForShutdownAsync();
        Console.WriteLine($"formation-silo: node '{config.NodeId}' stopped.");
        return 0;
    }

    private static string Explain(Exception ex, SiloConfig config)
    {
        var root = ex;
        while (root.InnerException is not null && root is not SocketException)
        {
            root = root.InnerException;
        }

        return root switch
        {
            SocketException { SocketErrorCode: SocketError.AddressAlreadyInUse } =>
                $"port {config.SiloPort}, {config.GatewayPort}{(config.Discovery is { } d ? $", {d.Listen.ToTcpEndPoint()?.Port}" : "")}" +
                $"{(config.HttpApi is { } h ? $", {h.Port}" : "")}{(config.Mode == FormationMode.Cluster ? $" or {config.JoinPort}" : "")} is already in use (is another silo running?). " +
                "Stop it or choose other ports with --silo-port/--gateway-port/--p2p-port/--http-port/--join-port.",
            _ => root.Message,
        };
    }
}
