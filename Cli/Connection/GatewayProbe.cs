using System.Net;
using System.Net.Sockets;
using Formation.Connection;

namespace Formation.Cli.Connection;

/// <summary>
/// A TCP connect to the gateways before the Orleans client is built: it costs no JIT to speak of, and the kernel of a
/// silo's host completes it even when that host is busy, so "is a silo listening" is answered by the cluster within the
/// timeout however slowly this process starts.
/// </summary>
public static class GatewayProbe
{
    /// <summary>Returns once any gateway accepts a connection; throws <see cref="NoSiloException"/> if none does in time.</summary>
    public static async Task RequireListeningAsync(IReadOnlyList<IPEndPoint> gateways, ConnectionSettings settings, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(settings.Timeout);
        var pending = gateways.Select(g => ListensAsync(g, deadline.Token)).ToList();
        while (pending.Count > 0)
        {
            var done = await Task.WhenAny(pending);
            pending.Remove(done);
            if (await done)
            {
                await deadline.CancelAsync();
                return;
            }
        }

        cancellationToken.ThrowIfCancellationRequested();
        throw new NoSiloException($"no Formation silo answered at {settings.Target} within {settings.Timeout.TotalSeconds:0} s.\n" + NoSiloException.WhatToDo);
    }

    /// <summary>Whether something accepts TCP connections at <paramref name="gateway"/> (refused ones are retried until the deadline).</summary>
    public static async Task<bool> ListensAsync(IPEndPoint gateway, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            using var socket = new Socket(gateway.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                await socket.ConnectAsync(gateway, cancellationToken);
                return true;
            }
            catch (SocketException)
            {
                await Task.Delay(200, cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
            catch (OperationCanceledException)
            {
                return false;
            }
        }

        return false;
    }
}
