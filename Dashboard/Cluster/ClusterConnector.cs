using Formation.Connection;
using Formation.Dashboard.Hosting;
using Formation.Events;
using Formation.Identity;
using Orleans.Connections.Security;
using Orleans.Configuration;

namespace Formation.Dashboard.Cluster;

/// <summary>
/// Owns the dashboard's Orleans client. The web server starts at once; the client connects in the background and is
/// checked every <see cref="DashboardOptions.ProbeInterval"/>. A connection that stops answering shows as Lost (the
/// banner); one that stays lost for <see cref="DashboardOptions.RebuildAfter"/> is built anew, so the dashboard recovers
/// by itself when a silo comes back, whatever happened to the old connection.
/// </summary>
public sealed partial class ClusterConnector(DashboardOptions options, ILogger<ClusterConnector> logger) : BackgroundService
{
    private readonly Lock _lock = new();
    private IHost? _host;
    private IClusterClient? _client;
    private ConnectionStatus _status = new(ConnectionState.Connecting, $"Connecting to {Target(options)}…", 0, DateTimeOffset.UtcNow);

    /// <summary>Raised (on a background thread) whenever <see cref="Status"/> changes.</summary>
    public event Action<ConnectionStatus>? StatusChanged;

    public ConnectionStatus Status => _status;

    /// <summary>The connected client; <see cref="ClusterUnavailableException"/> while there is none.</summary>
    public IClusterClient Client => _client ?? throw new ClusterUnavailableException(_status.Message);

    /// <summary>The gateway this dashboard uses (null in cluster mode), for choices such as the build node.</summary>
    public string? Gateway => options.Postgres is null ? options.Gateway : null;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            IHost host;
            try
            {
                host = BuildClientHost(stoppingToken);
            }
            catch (CredentialException ex)
            {
                SetStatus(ConnectionState.Connecting, $"{ex.Message} The dashboard keeps trying.", newGeneration: false);
                await Task.Delay(options.ProbeInterval, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                continue;
            }

            try
            {
                await host.StartAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                host.Dispose();
                break;
            }
            catch (Exception ex)
            {
                LogConnectFailed(ex.Message);
                host.Dispose();
                await Task.Delay(options.ProbeInterval, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                continue;
            }

            lock (_lock)
            {
                _host = host;
                _client = host.Services.GetRequiredService<IClusterClient>();
            }

            SetStatus(ConnectionState.Connected, $"Connected to {Target(options)}.", newGeneration: true);
            LogConnected(Target(options));
            await MonitorAsync(host.Services.GetRequiredService<IClusterClient>(), stoppingToken);
            lock (_lock)
            {
                _client = null;
                _host = null;
            }

            await StopQuietlyAsync(host);
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        IHost? host;
        lock (_lock)
        {
            host = _host;
            _host = null;
            _client = null;
        }

        if (host is not null)
        {
            await StopQuietlyAsync(host);
        }
    }

    /// <summary>Probes until the connection has been lost for longer than RebuildAfter (or the dashboard stops).</summary>
    private async Task MonitorAsync(IClusterClient client, CancellationToken stoppingToken)
    {
        DateTimeOffset? lostSince = null;
        while (!stoppingToken.IsCancellationRequested)
        {
            await Task.Delay(options.ProbeInterval, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            if (stoppingToken.IsCancellationRequested)
            {
                return;
            }

            try
            {
                await client.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true).WaitAsync(TimeSpan.FromSeconds(3), stoppingToken);
                if (lostSince is not null)
                {
                    lostSince = null;
                    SetStatus(ConnectionState.Connected, $"Connected to {Target(options)} again.", newGeneration: true);
                    LogRecovered(Target(options));
                }
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                if (lostSince is null)
                {
                    lostSince = DateTimeOffset.UtcNow;
                    LogLost(Target(options), ex.Message);
                }

                SetStatus(ConnectionState.Lost,
                    $"Lost the connection to the cluster ({Target(options)}): {FabricErrors.Describe(ex)} Retrying…", newGeneration: false);
                if (DateTimeOffset.UtcNow - lostSince > options.RebuildAfter)
                {
                    return;
                }
            }
        }
    }

    private IHost BuildClientHost(CancellationToken stoppingToken)
    {
        var settings = options.Connection;
        var gateway = settings.Postgres is null ? settings.ResolveGateway() : null;
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, Args = [] });
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss.fff ";
        });
        builder.Logging.SetMinimumLevel(LogLevel.Error);
        builder.UseOrleansClient(client =>
        {
            client.UseLoopbackClientAddress();
            client.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = settings.ClusterId;
                o.ServiceId = settings.ServiceId;
            });
            client.Configure<GatewayOptions>(o => o.GatewayListRefreshPeriod = TimeSpan.FromSeconds(5));
            client.Configure<ClientMessagingOptions>(o => o.ResponseTimeout = TimeSpan.FromSeconds(20));
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
                client.UseStaticClustering(gateway!);
            }

            if (settings.Credential is { } file)
            {
                // Loaded per client host and kept for its life: the TLS layer uses the key on every reconnect.
                var credential = ClusterCredential.Load(file);
                client.Services.AddSingleton(credential);
                client.UseTls(credential.Certificate, o =>
                {
                    o.RemoteCertificateMode = RemoteCertificateMode.RequireCertificate;
                    o.CheckCertificateRevocation = false;
                    o.RemoteCertificateValidation = (certificate, _, _) => credential.Trusts(certificate);
                });
                client.AddOutgoingGrainCallFilter(new ProofCallFilter(new ProofSigner(credential)));
            }

            client.AddMemoryStreams(EventStreams.Provider, streams => streams.ConfigurePartitioning(EventStreams.QueueCount));
            client.UseConnectionRetryFilter(async (ex, ct) =>
            {
                SetStatus(_status.Generation == 0 ? ConnectionState.Connecting : ConnectionState.Lost,
                    $"No silo answers at {Target(options)} yet ({FabricErrors.Describe(ex)}). Start one with `scripts/run`; the dashboard keeps trying.",
                    newGeneration: false);
                await Task.Delay(options.ProbeInterval, ct).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                return !ct.IsCancellationRequested && !stoppingToken.IsCancellationRequested;
            });
        });
        return builder.Build();
    }

    private void SetStatus(ConnectionState state, string message, bool newGeneration)
    {
        ConnectionStatus status;
        lock (_lock)
        {
            var current = _status;
            if (current.State == state && current.Message == message && !newGeneration)
            {
                return;
            }

            status = new ConnectionStatus(state, message, current.Generation + (newGeneration ? 1 : 0),
                current.State == state ? current.Since : DateTimeOffset.UtcNow);
            _status = status;
        }

        StatusChanged?.Invoke(status);
    }

    private static string Target(DashboardOptions options) =>
        options.Postgres is null ? $"gateway {options.Gateway}" : "the PostgreSQL membership table";

    private async Task StopQuietlyAsync(IHost host)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await host.StopAsync(timeout.Token);
        }
        catch (Exception ex)
        {
            LogStopFailed(ex.Message);
        }

        host.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Connected to the cluster ({Target})")]
    private partial void LogConnected(string target);

    [LoggerMessage(Level = LogLevel.Information, Message = "Connected to the cluster again ({Target})")]
    private partial void LogRecovered(string target);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Lost the connection to the cluster ({Target}): {Reason}")]
    private partial void LogLost(string target, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not connect to the cluster: {Reason}")]
    private partial void LogConnectFailed(string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Stopping the old cluster client failed: {Reason}")]
    private partial void LogStopFailed(string reason);
}
