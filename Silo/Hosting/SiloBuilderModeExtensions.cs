using Formation.Grains.Common;
using Formation.LocalApi;
using Formation.Silo.Discovery;
using Formation.Silo.Identity;
using Formation.Silo.LocalApi;
using Formation.Silo.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;

namespace Formation.Silo.Hosting;

/// <summary>Clustering, endpoints and storage by mode, then the Formation core.</summary>
public static class SiloBuilderModeExtensions
{
    public static ISiloBuilder AddFormationSilo(this ISiloBuilder silo, SiloConfig config)
    {
        silo.Configure<ClusterOptions>(o =>
        {
            o.ClusterId = config.ClusterId;
            o.ServiceId = config.ServiceId;
        });

        if (config.Mode == FormationMode.Embedded)
        {
            silo.UseLocalhostClustering(config.SiloPort, config.GatewayPort, null, config.ServiceId, config.ClusterId);
        }
        else
        {
            silo.ConfigureEndpoints(config.AdvertisedAddress, config.SiloPort, config.GatewayPort, listenOnAnyHostAddress: true);
            StorageSetup.AddClustering(silo, config);
        }

        // Both modes: mutual TLS on the gateway and silo port, and a verified proof on every call to a Formation grain.
        var node = config.Credential
            ?? throw new InvalidOperationException("a silo needs the node's credential (NodeIdentitySetup) before it is built.");
        // Benchmark only; checked again here so no other way of building a SiloConfig can turn identity off.
        if (config.WithoutIdentity && BenchmarkIdentitySwitch.Problem(true, config.Mode,
                Environment.GetEnvironmentVariable(BenchmarkIdentitySwitch.EnvironmentVariable)) is { } refused)
        {
            throw new InvalidOperationException(refused);
        }

        // Direct node-to-node connections (the image stream) show the same certificate.
        silo.Services.AddSingleton(node);
        if (!config.WithoutIdentity)
        {
            silo.UseFormationTls(node);
            silo.AddFormationIdentity(node, config.Authority, config.IdentityStore, config.NodeId);
        }

        StorageSetup.AddGrainStorage(silo, config, StorageNames.Formation);
        StorageSetup.AddGrainStorage(silo, config, StorageNames.PubSub);
        StorageSetup.AddStateRows(silo, config);
        StorageSetup.AddReminders(silo, config);
        // After AddFormationIdentity: filters run in registration order, and the audit filter reads the verified caller.
        StorageSetup.AddAudit(silo, config);

        // The local API is keyed by the gateway port, which only a real silo process owns (test hosts share a process).
        silo.Services.AddSingleton(sp => ActivatorUtilities.CreateInstance<LocalApiServer>(sp, LocalApiPaths.Socket(config.GatewayPort)));
        silo.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<LocalApiServer>());

        if (config.MetricsPort > 0 || config.Otlp is not null)
        {
            silo.Services.AddFormationTelemetry(config.NodeId, config.MetricsPort, config.Otlp, config.MetricsInterval);
        }

        if (config.Discovery is { } discovery)
        {
            silo.Services.AddFormationDiscovery(discovery);
        }

        var endpoint = $"{config.AdvertisedAddress}:{config.SiloPort}";
        var gateway = $"{config.AdvertisedAddress}:{config.GatewayPort}";
        return silo.AddFormationCore(new FormationCoreSettings(config.NodeId, config.DataDirectory, config.Driver, endpoint, gateway, config.Capacity,
            config.Mode.ToString().ToLowerInvariant(), config.Discovery?.Identity.PeerId.ToString() ?? "",
            config.Discovery?.Advertised.Select(a => a.ToString()).ToList(), config.MetricsUrl));
    }
}
