using Formation.Connection;
using Formation.Events;
using Formation.Identity;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;

namespace Formation.Cli.Connection;

/// <summary>An Orleans client connected to a Formation cluster, or a <see cref="NoSiloException"/> within the timeout.</summary>
public sealed class ClusterConnection : IAsyncDisposable
{
    private readonly IHost _host;

    private readonly ClusterCredential? _credential;

    private ClusterConnection(IHost host, ClusterCredential? credential)
    {
        _host = host;
        _credential = credential;
        Client = host.Services.GetRequiredService<IClusterClient>();
    }

    public IClusterClient Client { get; }

    /// <summary>
    /// How long starting the Orleans client may take once a gateway is known to listen. On a loaded host twenty
    /// concurrent clients each need seconds of CPU for JIT and type loading before their first message; that is our own
    /// start-up, not the cluster failing to answer, so it gets its own, generous allowance.
    /// </summary>
    public static readonly TimeSpan StartupAllowance = TimeSpan.FromSeconds(90);

    /// <summary>
    /// Connects to the cluster. "No silo" (<see cref="NoSiloException"/>) is decided by the cluster's answer, not by our
    /// own start-up: with gateways given, a plain TCP connect to each (done before any Orleans type loads) must succeed
    /// within <see cref="ConnectionSettings.Timeout"/>; then the Orleans client gives up only after connection attempts
    /// have failed for that long in a row.
    /// </summary>
    public static async Task<ClusterConnection> ConnectAsync(ConnectionSettings settings, CancellationToken cancellationToken)
    {
        var gateways = settings.Postgres is null ? settings.ResolveGateways() : null;
        if (gateways is not null)
        {
            await GatewayProbe.RequireListeningAsync(gateways, settings, cancellationToken);
            Trace.Mark("gateway listens");
        }

        // Read before anything starts: a bad credential file is the user's to fix, not a silo that did not answer.
        var credential = settings.Credential is { } file ? ClusterCredential.Load(file) : null;
        Trace.Mark(credential is null ? "no credential" : "credential read");
        if (credential is not null && settings.Postgres is null)
        {
            ClientTls.SkipMachineTrustStore();
        }
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, Args = [] });
        builder.Logging.ClearProviders();
        if (Environment.GetEnvironmentVariable("FORM_TRACE") == "2")
        {
            builder.Logging.AddSimpleConsole(o => o.TimestampFormat = "HH:mm:ss.fff ").SetMinimumLevel(LogLevel.Debug);
        }
        else
        {
            builder.Logging.SetMinimumLevel(LogLevel.Critical);
        }

        DateTime? failingSince = null;
        builder.UseOrleansClient(client =>
        {
            client.UseLoopbackClientAddress();
            client.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = settings.ClusterId;
                o.ServiceId = settings.ServiceId;
            });
            if (settings.Postgres is { } postgres)
            {
                client.UseAdoNetClustering(o =>
                {
                    o.Invariant = "Npgsql";
                    o.ConnectionString = postgres;
                });
            }
            else
            {
                client.UseStaticClustering([.. gateways!]);
            }

            if (credential is not null)
            {
                client.UseTls(credential.Certificate, o => ClientTls.Configure(o, credential));
                // Every call also carries a proof signed with the credential's key: the silo takes the caller from it.
                client.AddOutgoingGrainCallFilter(new ProofCallFilter(new ProofSigner(credential)));
            }

            client.AddMemoryStreams(EventStreams.Provider, streams => streams.ConfigurePartitioning(EventStreams.QueueCount));
            client.UseConnectionRetryFilter(async (_, ct) =>
            {
                // The deadline runs from the first failed attempt, so it measures the cluster, not our start-up.
                failingSince ??= DateTime.UtcNow;
                if (DateTime.UtcNow - failingSince >= settings.Timeout)
                {
                    return false;
                }

                await Task.Delay(200, ct);
                return true;
            });
        });

        Trace.Mark("configured");
        var host = builder.Build();
        Trace.Mark("built");
        using var allowance = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        allowance.CancelAfter(StartupAllowance);
        try
        {
            await host.StartAsync(allowance.Token);
            Trace.Mark("connected");
            return new ClusterConnection(host, credential);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            host.Dispose();
            var message =
                $"no Formation silo answered at {settings.Target} within {settings.Timeout.TotalSeconds:0} s" +
                (credential is null ? "" : $" with credential '{settings.Credential}' ('{credential.Name}'; a cluster with another CA refuses it)") + ".\n" +
                (credential is null ? "Silos accept only clients with a credential of their cluster: pass --credential FILE, set FORMATION_CREDENTIAL or `form login --credential FILE` " +
                    "(root on a silo's host uses DATA/identity/admin.credential).\n" : "") +
                NoSiloException.WhatToDo;
            credential?.Dispose();
            throw new NoSiloException(message);
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await _host.StopAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
        }

        _host.Dispose();
        _credential?.Dispose();
        Trace.Mark("disposed");
    }
}
