using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Sockets;
using Formation.Services;
using Formation.Silo.Nodes;
using Microsoft.Extensions.Hosting;

namespace Formation.Silo.Services;

/// <summary>
/// Runs the health checks of the service replicas on this node (the node that hosts a replica is the one that can
/// reach it) and reports each outcome to its service. Every second it reads the services; a running local replica
/// whose revision has a check is probed once per interval: an HTTP GET that must answer 2xx/3xx, or a TCP connect,
/// each bounded by the interval. Probes run concurrently and never overlap for one replica.
/// </summary>
public sealed partial class HealthProber(IGrainFactory grains, LocalNode node, ILogger<HealthProber> logger) : BackgroundService
{
    private static readonly TimeSpan Scan = TimeSpan.FromSeconds(1);

    private readonly ConcurrentDictionary<string, DateTimeOffset> _due = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Task> _running = new(StringComparer.Ordinal);
    private readonly HttpClient _http = new(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false, PooledConnectionLifetime = TimeSpan.Zero });

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Scan);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            try
            {
                await ScanAsync(stoppingToken);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                LogScanFailed(ex);
            }
        }
    }

    private async Task ScanAsync(CancellationToken cancellationToken)
    {
        var now = DateTimeOffset.UtcNow;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var service in await grains.AllServicesAsync())
        {
            foreach (var replica in service.ReplicaList)
            {
                if (replica.NodeId != node.Identity.NodeId || replica.State != Formation.Vms.VmState.Running || replica.Address is null ||
                    service.Revisions.FirstOrDefault(r => r.Number == replica.Revision)?.Health is not { } check)
                {
                    continue;
                }

                seen.Add(replica.VmId);
                if (_running.ContainsKey(replica.VmId) || (_due.TryGetValue(replica.VmId, out var due) && due > now))
                {
                    continue;
                }

                _due[replica.VmId] = now + check.Interval;
                var target = grains.GetGrain<IServiceGrain>(service.Name);
                _running[replica.VmId] = Task.Run(async () =>
                {
                    try
                    {
                        var (ok, detail) = await ProbeAsync(replica.Address, check, cancellationToken);
                        await target.ReportHealthAsync(new HealthReport(replica.VmId, ok, detail));
                    }
                    catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
                    {
                        LogReportFailed(ex, replica.Name);
                    }
                    finally
                    {
                        _running.TryRemove(replica.VmId, out _);
                    }
                }, CancellationToken.None);
            }
        }

        foreach (var gone in _due.Keys.Where(id => !seen.Contains(id)).ToList())
        {
            _due.TryRemove(gone, out _);
        }
    }

    /// <summary>One check: true with what it saw, or false with why.</summary>
    public async Task<(bool Ok, string Detail)> ProbeAsync(string address, HealthCheck check, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(check.Interval);
        var started = Stopwatch.GetTimestamp();
        try
        {
            if (check.HttpPath is { } path)
            {
                using var response = await _http.GetAsync($"http://{address}:{check.Port}{path}", HttpCompletionOption.ResponseHeadersRead, timeout.Token);
                var status = (int)response.StatusCode;
                return (status is >= 200 and < 400, $"HTTP {status} from {path} in {Stopwatch.GetElapsedTime(started).TotalMilliseconds:0} ms");
            }

            using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync(System.Net.IPAddress.Parse(address), check.Port, timeout.Token);
            return (true, $"TCP {check.Port} accepted in {Stopwatch.GetElapsedTime(started).TotalMilliseconds:0} ms");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return (false, $"no answer on {check} within {check.Interval.TotalSeconds:0.#} s");
        }
        catch (Exception ex) when (ex is HttpRequestException or SocketException)
        {
            return (false, $"{check}: {ex.Message}");
        }
    }

    public override void Dispose()
    {
        _http.Dispose();
        base.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Health checks: reading the services failed; the next scan retries")]
    private partial void LogScanFailed(Exception ex);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Health checks: the result for {Replica} could not be reported")]
    private partial void LogReportFailed(Exception ex, string replica);
}
