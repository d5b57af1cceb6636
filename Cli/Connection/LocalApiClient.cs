using System.Net;
using System.Net.Sockets;
using Formation.Connection;
using Formation.LocalApi;
using Formation.Nodes;
using Formation.Vms;

namespace Formation.Cli.Connection;

/// <summary>
/// The read queries through the local API socket of a silo on this host (see <see cref="LocalApiProtocol"/>): no Orleans
/// client to start, so <c>form vm list</c> answers in a fraction of the time. Only for a loopback gateway without
/// --postgres; a missing or dead socket raises <see cref="LocalApiUnavailableException"/> before anything is printed,
/// and the caller falls back to the Orleans client.
/// </summary>
public sealed class LocalApiClient(string socketPath, TimeSpan timeout) : IFormationReads
{
    public string SocketPath => socketPath;

    /// <summary>The client for <paramref name="settings"/>' silo if it is on this host and serves a socket, else null.</summary>
    public static LocalApiClient? For(ConnectionSettings settings)
    {
        if (settings.Postgres is not null || !settings.TrySplitGateway(out var host, out var port))
        {
            return null;
        }

        var loopback = host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || (IPAddress.TryParse(host, out var ip) && IPAddress.IsLoopback(ip));
        var path = LocalApiPaths.Socket(port);
        return loopback && File.Exists(path) ? new LocalApiClient(path, settings.Timeout) : null;
    }

    public async Task<IReadOnlyList<VmSummary>> ListVmsAsync(CancellationToken cancellationToken) =>
        (await QueryAsync(new LocalApiRequest(LocalApiProtocol.Vms), cancellationToken)).Vms ?? throw Incomplete("vms");

    public async Task<IReadOnlyList<NodeStatus>> ListNodesAsync(CancellationToken cancellationToken) =>
        (await QueryAsync(new LocalApiRequest(LocalApiProtocol.Nodes), cancellationToken)).Nodes ?? throw Incomplete("nodes");

    public async Task<VmDetail> GetVmAsync(string idOrName, CancellationToken cancellationToken) =>
        (await QueryAsync(new LocalApiRequest(LocalApiProtocol.Vm, idOrName), cancellationToken)).Vm ?? throw Incomplete("vm");

    public async Task<IReadOnlyList<Discovery.PeerRow>> ListPeersAsync(CancellationToken cancellationToken) =>
        (await QueryAsync(new LocalApiRequest(LocalApiProtocol.Peers), cancellationToken)).Peers ?? throw Incomplete("peers");

    private async Task<LocalApiReply> QueryAsync(LocalApiRequest request, CancellationToken cancellationToken)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), cancellationToken);
        }
        catch (SocketException ex)
        {
            throw new LocalApiUnavailableException($"{socketPath}: {ex.Message}");
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        await using var stream = new NetworkStream(socket, ownsSocket: false);
        try
        {
            await LocalApiProtocol.WriteRequestAsync(stream, request, deadline.Token);
            return await LocalApiProtocol.ReadReplyAsync(stream, deadline.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"the silo's local API ({socketPath}) did not answer within {timeout.TotalSeconds:0} s.");
        }
    }

    private InvalidDataException Incomplete(string field) =>
        new($"the silo's local API ({socketPath}) answered without '{field}'; is the silo the same version as form?");
}

/// <summary>The local API socket is missing or nobody listens on it: use the Orleans client instead.</summary>
public sealed class LocalApiUnavailableException(string message) : Exception(message);
