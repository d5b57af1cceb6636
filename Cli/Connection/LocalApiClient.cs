using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Formation.Connection;
using Formation.LocalApi;
using Formation.Nodes;
using Formation.Vms;

namespace Formation.Cli.Connection;

/// <summary>
/// The reads and retry-safe writes through the local API socket of a silo on this host (see
/// <see cref="LocalApiProtocol"/>): no Orleans client to start, so a command answers in a fraction of the time. Only for
/// loopback gateways without --postgres; a missing or dead socket raises <see cref="LocalApiUnavailableException"/>
/// before anything is sent, and the caller tries the next silo or the Orleans client.
/// </summary>
/// <param name="blocking">Each request on the calling thread with blocking socket calls: for the NativeAOT front end, where
/// the thread pool and the socket engine's thread would cost more CPU to start than the request itself.</param>
public sealed class LocalApiClient(string socketPath, TimeSpan timeout, bool blocking = false) : IFormationCalls
{
    /// <summary>How long a request may wait for its answer (a create under load queues behind others; the silo allows 30 s).</summary>
    public static readonly TimeSpan ReplyTimeout = TimeSpan.FromSeconds(30);

    public string SocketPath => socketPath;

    /// <summary>The client for <paramref name="settings"/>' first silo if it is on this host and serves a socket, else null.</summary>
    public static LocalApiClient? For(ConnectionSettings settings) => AllFor(settings).FirstOrDefault();

    /// <summary>A client per gateway of <paramref name="settings"/> that is on this host and serves a socket, in order.</summary>
    public static IReadOnlyList<LocalApiClient> AllFor(ConnectionSettings settings, bool blocking = false)
    {
        if (settings.Postgres is not null)
        {
            return [];
        }

        var clients = new List<LocalApiClient>();
        foreach (var gateway in settings.Gateways)
        {
            if (!ConnectionSettings.TrySplit(gateway, out var host, out var port))
            {
                continue;
            }

            var loopback = host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || (IPAddress.TryParse(host, out var ip) && IPAddress.IsLoopback(ip));
            var path = LocalApiPaths.Socket(port);
            if (loopback && File.Exists(path))
            {
                clients.Add(new LocalApiClient(path, ReplyTimeout > settings.Timeout ? ReplyTimeout : settings.Timeout, blocking));
            }
        }

        return clients;
    }

    public async Task<IReadOnlyList<VmSummary>> ListVmsAsync(CancellationToken cancellationToken) =>
        (await QueryAsync(new LocalApiRequest(LocalApiProtocol.Vms), cancellationToken)).Vms ?? throw Incomplete("vms");

    public async Task<IReadOnlyList<NodeStatus>> ListNodesAsync(CancellationToken cancellationToken) =>
        (await QueryAsync(new LocalApiRequest(LocalApiProtocol.Nodes), cancellationToken)).Nodes ?? throw Incomplete("nodes");

    public async Task<VmDetail> GetVmAsync(string idOrName, CancellationToken cancellationToken) =>
        (await QueryAsync(new LocalApiRequest(LocalApiProtocol.Vm, idOrName), cancellationToken)).Vm ?? throw Incomplete("vm");

    public async Task<VmInfo> GetVmInfoAsync(string idOrName, CancellationToken cancellationToken) =>
        (await QueryAsync(new LocalApiRequest(LocalApiProtocol.Info, idOrName), cancellationToken)).Info ?? throw Incomplete("info");

    public async Task<VmInfo> WaitForVmAsync(string idOrName, VmState target, CancellationToken cancellationToken) =>
        (await QueryAsync(new LocalApiRequest(LocalApiProtocol.Info, idOrName, Until: target), cancellationToken)).Info ?? throw Incomplete("info");

    public async Task<IReadOnlyList<Discovery.PeerRow>> ListPeersAsync(CancellationToken cancellationToken) =>
        (await QueryAsync(new LocalApiRequest(LocalApiProtocol.Peers), cancellationToken)).Peers ?? throw Incomplete("peers");
    public Task<VmInfo> CreateVmAsync(VmSpec spec, CancellationToken cancellationToken) => CreateVmAsync(spec, null, cancellationToken);

    /// <summary>Creates the VM and, with <paramref name="until"/>, answers once it is in that state or Failed (or the silo's patience ran out).</summary>
    public async Task<VmInfo> CreateVmAsync(VmSpec spec, VmState? until, CancellationToken cancellationToken) =>
        (await QueryAsync(new LocalApiRequest(LocalApiProtocol.Create, Spec: spec, Until: until), cancellationToken)).Info ?? throw Incomplete("info");

    public async Task<VmInfo> DeleteVmAsync(string idOrName, CancellationToken cancellationToken) =>
        (await QueryAsync(new LocalApiRequest(LocalApiProtocol.Delete, idOrName), cancellationToken)).Info ?? throw Incomplete("info");

    private async Task<LocalApiReply> QueryAsync(LocalApiRequest request, CancellationToken cancellationToken)
    {
        if (blocking)
        {
            return Query(request);
        }

        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), cancellationToken);
        }
        catch (SocketException ex)
        {
            throw Unavailable(ex);
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
            throw NotAnswered();
        }
        catch (JsonException ex)
        {
            throw Truncated(ex);
        }
    }

    /// <summary><see cref="QueryAsync"/> with blocking calls on this thread; the socket's timeouts stand for the deadline.</summary>
    private LocalApiReply Query(LocalApiRequest request)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            socket.Connect(new UnixDomainSocketEndPoint(socketPath));
        }
        catch (SocketException ex)
        {
            throw Unavailable(ex);
        }

        socket.SendTimeout = socket.ReceiveTimeout = (int)timeout.TotalMilliseconds;
        using var stream = new NetworkStream(socket, ownsSocket: false);
        try
        {
            LocalApiProtocol.WriteRequest(stream, request);
            return LocalApiProtocol.ReadReply(stream);
        }
        catch (IOException ex) when (ex.InnerException is SocketException { SocketErrorCode: SocketError.TimedOut or SocketError.WouldBlock })
        {
            throw NotAnswered();
        }
        catch (JsonException ex)
        {
            throw Truncated(ex);
        }
    }

    private LocalApiUnavailableException Unavailable(SocketException ex) => new($"{socketPath}: {ex.Message}");

    private TimeoutException NotAnswered() => new($"the silo's local API ({socketPath}) did not answer within {timeout.TotalSeconds:0} s.");

    /// <summary>A silo that dies while answering leaves half a reply: a transport failure, not a protocol one.</summary>
    private IOException Truncated(JsonException ex) => new($"the silo behind {socketPath} closed the connection before answering completely.", ex);

    private InvalidDataException Incomplete(string field) =>
        new($"the silo's local API ({socketPath}) answered without '{field}'; is the silo the same version as form?");
}

/// <summary>The local API socket is missing or nobody listens on it: use the Orleans client instead.</summary>
public sealed class LocalApiUnavailableException(string message) : Exception(message);
