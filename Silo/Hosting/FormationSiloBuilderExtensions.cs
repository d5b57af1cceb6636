using Formation.Events;
using Formation.Grains.Hosting;
using Formation.Grains.Placement;
using Formation.Grains.Scheduling;
using Formation.Grains.Vms;
using Formation.Silo.Dns;
using Formation.Silo.Hypervisors;
using Formation.Silo.Hypervisors.Kvm;
using Formation.Silo.Hypervisors.Qemu;
using Formation.Silo.Images;
using Formation.Silo.Metrics;
using Formation.Silo.Network;
using Formation.Silo.Nodes;
using Formation.Silo.Placement;
using Formation.Silo.Platform;
using Formation.Silo.Vms;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Orleans.Configuration;

namespace Formation.Silo.Hosting;

/// <summary>Everything a Formation silo adds to Orleans, whatever its storage and clustering.</summary>
public static class FormationSiloBuilderExtensions
{
    /// <summary>
    /// Host-affinity placement, the node's identity and agent, its hypervisor driver, event streams.
    /// Storage named <c>formation</c> and <c>PubSubStore</c> must be configured separately.
    /// </summary>
    public static ISiloBuilder AddFormationCore(this ISiloBuilder silo, FormationCoreSettings settings)
    {
        // PostConfigure: the node id is the silo name, whatever else configured one (test hosts do).
        silo.Services.PostConfigure<SiloOptions>(o => o.SiloName = settings.NodeId);
        silo.Services.AddPlacementDirector<HostAffinityPlacement, HostAffinityPlacementDirector>();
        silo.AddMemoryStreams(EventStreams.Provider, streams => streams.ConfigurePartitioning(EventStreams.QueueCount));

        var services = silo.Services;
        services.TryAddSingleton(TimeProvider.System);
        // Real silos replace this with the CA holder's signer (AddFormationIdentity); test hosts without identity refuse to sign.
        services.TryAddSingleton<ICredentialSigner>(sp => new Identity.CredentialSigner(null, null, settings.NodeId, TimeProvider.System));
        services.AddMetrics();
        services.TryAddSingleton<SchedulerMetrics>();
        services.TryAddSingleton<Pack.BuildMetrics>();
        services.TryAddSingleton<Edge.EdgeMetrics>();
        services.TryAddSingleton<DnsMetrics>();
        services.AddOptions<SchedulerOptions>().BindConfiguration(SchedulerOptions.Section);
        services.AddOptions<VmCatalogTestHooks>().BindConfiguration(VmCatalogTestHooks.Section);
        services.TryAddSingleton(silo.Configuration.GetSection(SimOptions.Section).Get<SimOptions>() ?? new SimOptions());
        services.AddSingleton(_ => HostFacts.Probe(settings.DataDirectory));
        services.AddSingleton(sp =>
        {
            var facts = sp.GetRequiredService<HostFacts>();
            var choice = HypervisorChoice.Choose(settings.Driver, facts, AvailableDrivers());
            return LocalNode.Create(settings.NodeId, facts, choice, settings.SiloEndpoint, settings.GatewayEndpoint,
                settings.Capacity, sp.GetRequiredService<TimeProvider>(), settings.StorageMode, settings.PeerId, settings.Multiaddrs, settings.MetricsUrl);
        });
        services.AddSingleton(sp => sp.GetRequiredService<LocalNode>().Identity);
        services.AddSingleton<VmReporter>();
        services.AddSingleton(new NodePaths(settings.DataDirectory));
        services.AddFormationImages(settings.DataDirectory, settings.NodeId, settings.SiloEndpoint);
        services.AddOptions<VmRuntimeOptions>().BindConfiguration(VmRuntimeOptions.Section);
        services.AddOptions<NetworkOptions>().BindConfiguration(NetworkOptions.Section);
        VmJailOptions.RefuseUnjailed(services.AddOptions<QemuOptions>().BindConfiguration(QemuOptions.Section), QemuOptions.Section, o => o.Jail);
        services.AddSingleton<BridgeGuard>();
        services.AddSingleton<HostNetwork>();
        services.AddOptions<MeshOptions>().BindConfiguration(MeshOptions.Section);
        services.AddSingleton<EgressNat>();
        services.AddSingleton<OverlayGuard>();
        services.AddSingleton<PortForwards>();
        services.AddSingleton(sp => ActivatorUtilities.CreateInstance<MeshAgent>(sp, settings.DataDirectory));
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<MeshAgent>());
        services.AddSingleton<IMeshHost>(sp => sp.GetRequiredService<MeshAgent>());
        services.AddSingleton<QemuDriver>();
        services.AddSingleton<IHypervisorDriver>(sp => sp.GetRequiredService<QemuDriver>());
        VmJailOptions.RefuseUnjailed(services.AddOptions<KvmOptions>().BindConfiguration(KvmOptions.Section), KvmOptions.Section, o => o.Jail);
        services.AddSingleton<KvmDriver>();
        services.AddSingleton<IHypervisorDriver>(sp => sp.GetRequiredService<KvmDriver>());
        services.AddSingleton(new Snapshots.SnapshotStore(settings.DataDirectory));
        services.AddSingleton<ISnapshotHost>(sp => sp.GetRequiredService<Snapshots.SnapshotStore>());
        services.AddSingleton<INodeVmHost>(CreateHost);
        services.AddSingleton<IVmHost>(sp => sp.GetRequiredService<INodeVmHost>());
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>, VmHostLifecycle>();
        if (silo.Configuration.GetSection(MetricsOptions.Section).GetValue<bool?>(nameof(MetricsOptions.Collect)) != false)
        {
            services.AddFormationMetrics();
        }

        services.AddSingleton<NodeAgent>();
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<NodeAgent>());
        services.AddFormationDns();
        services.AddHostedService<Services.HealthProber>();
        return silo;
    }

    /// <summary>The drivers this build contains.</summary>
    public static readonly IReadOnlyCollection<string> BuiltInDrivers = [DriverNames.Sim, DriverNames.Qemu, DriverNames.Kvm];

    /// <summary>Built-in drivers whose programs this host has.</summary>
    private static IReadOnlyCollection<string> AvailableDrivers() =>
        BuiltInDrivers.Where(d => d switch
        {
            DriverNames.Qemu => HostFacts.OnPath("qemu-system-x86_64"),
            DriverNames.Kvm => KvmDriver.FindBinary() is not null && File.Exists("/dev/kvm"),
            _ => true,
        }).ToArray();

    private static INodeVmHost CreateHost(IServiceProvider sp)
    {
        var node = sp.GetRequiredService<LocalNode>();
        return node.Hypervisor.Driver switch
        {
            DriverNames.Sim => ActivatorUtilities.CreateInstance<SimVmHost>(sp),
            DriverNames.Qemu => ActivatorUtilities.CreateInstance<VmRuntime>(sp, sp.GetRequiredService<QemuDriver>()),
            DriverNames.Kvm => ActivatorUtilities.CreateInstance<VmRuntime>(sp, sp.GetRequiredService<KvmDriver>()),
            _ => new NoVmHost(node.Hypervisor.Reason),
        };
    }
}
