using Formation.Connection;
using System.Net;
using Formation.Events;
using Formation.Identity;
using Formation.Silo.Identity;
using Formation.Silo.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;

namespace Formation.Silo.Tests.Processes;

/// <summary>An Orleans client for tests that talk to silo processes: through a gateway, or PostgreSQL membership.</summary>
public sealed class ClusterClient : IAsyncDisposable
{
    private readonly IHost _host;

    private ClusterClient(IHost host, ProofCallFilter? proofs)
    {
        _host = host;
        Proofs = proofs;
    }

    public IClusterClient Client => _host.Services.GetRequiredService<IClusterClient>();

    /// <summary>The client's proof filter (null without proofs): how often a silo asked for the certificate.</summary>
    public ProofCallFilter? Proofs { get; }

    /// <summary>Through a gateway; with <paramref name="credential"/> (a credential file) over mutual TLS (cluster mode).</summary>
    /// <remarks>
    /// Without <paramref name="credential"/>, an embedded-mode silo's own admin credential is used (every silo requires
    /// one); pass <paramref name="anonymous"/> to connect with none at all.
    /// </remarks>
    /// <param name="proofs">False: TLS with the credential but no proof on the calls (what an attacker's own client sends).</param>
    /// <param name="asNode">
    /// True: the calls' proofs are signed with the node credential kept next to <paramref name="credential"/> (the silo's
    /// <c>identity/node.credential</c>), acting for admin: what tests that drive node-only methods (placement, direct
    /// VM creates, address pools) need. Only a test holding the node's key can do this, exactly as on a real host.
    /// </param>
    public static Task<ClusterClient> ViaGatewayAsync(int port, string? credential = null, TimeSpan? timeout = null, bool anonymous = false, bool proofs = true,
        bool asNode = false) =>
        StartAsync(c => c.UseStaticClustering(new IPEndPoint(IPAddress.Loopback, port)),
            anonymous ? null : credential ?? SiloProcess.AdminCredentialFor(port), timeout, proofs, asNode);

    /// <summary>Through the membership table of a cluster-mode database, over mutual TLS with <paramref name="credential"/>.</summary>
    /// <param name="asNode">As for <see cref="ViaGatewayAsync"/>.</param>
    public static Task<ClusterClient> ViaPostgresAsync(string connectionString, string credential, bool asNode = false) =>
        StartAsync(c => c.UseFormationAdoNetClustering(connectionString), credential, null, true, asNode);

    /// <summary>The node credential of the silo whose identity directory holds <paramref name="credential"/>.</summary>
    public static string NodeCredentialBeside(string credential) =>
        Path.Combine(Path.GetDirectoryName(credential)!, "node.credential");

    private static async Task<ClusterClient> StartAsync(Action<IClientBuilder> clustering, string? credential, TimeSpan? timeout, bool proofs, bool asNode)
    {
        var tls = credential is null ? null : ClusterCredential.Load(credential);
        var filter = tls is not null && proofs ? new ProofCallFilter(new ProofSigner(tls)) : null;
        var node = asNode && credential is not null ? ClusterCredential.Load(NodeCredentialBeside(credential)) : null;
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.UseOrleansClient(client =>
        {
            client.UseLoopbackClientAddress();
            client.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = "formation";
                o.ServiceId = "formation";
            });
            clustering(client);
            if (tls is not null)
            {
                client.UseFormationTls(tls);
                if (filter is not null)
                {
                    client.AddOutgoingGrainCallFilter(node is null ? filter : (IOutgoingGrainCallFilter)new NodeSignedProofs(new ProofSigner(node)));
                }
            }

            client.AddMemoryStreams(EventStreams.Provider, streams => streams.ConfigurePartitioning(EventStreams.QueueCount));
        });
        var host = builder.Build();
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(30));
        try
        {
            await host.StartAsync(cts.Token);
        }
        catch
        {
            host.Dispose();
            throw;
        }

        return new ClusterClient(host, filter);
    }

    public async ValueTask DisposeAsync()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            await _host.StopAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
        }

        _host.Dispose();
    }

    /// <summary>Signs every call as the node acting for admin, as a silo's own front ends do.</summary>
    private sealed class NodeSignedProofs(ProofSigner node) : IOutgoingGrainCallFilter
    {
        public Task Invoke(IOutgoingGrainCallContext context) => ProofCallFilter.SendAsync(context, node, Caller.Admin);
    }
}
