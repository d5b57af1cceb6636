using System.Net.Sockets;
using Formation.Errors;
using Formation.Identity;
using Formation.LocalApi;

namespace Formation.Silo.LocalApi;

/// <summary>
/// Serves <see cref="LocalApiProtocol"/> on a Unix socket (mode 0600) while the silo is active, so that <c>form</c>
/// reads, creates and deletes on this host need no Orleans client. The socket appears when grains can be called and is removed on
/// shutdown; a stale one left by a killed silo is replaced at start. Each connection gets one answer and a deadline.
/// The socket's folder is made 0700 before the bind, and a peer that is neither root nor the silo's own uid
/// (SO_PEERCRED) is refused before its request is read. An admitted peer acts as the <c>admin</c> account.
/// </summary>
public sealed partial class LocalApiServer(IGrainFactory grains, string socketPath, ILogger<LocalApiServer> logger)
    : ILifecycleParticipant<ISiloLifecycle>, IAsyncDisposable
{
    /// <summary>How long one connection may take to send its request and receive its answer.</summary>
    public static readonly TimeSpan ConnectionDeadline = TimeSpan.FromSeconds(30);

    private readonly CancellationTokenSource _stopping = new();
    private readonly IFormationReads _reads = new GrainReads(grains);
    private readonly IFormationWrites _writes = new GrainWrites(grains);
    private Socket? _listener;
    private Task _accepting = Task.CompletedTask;

    public string SocketPath => socketPath;

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(LocalApiServer), ServiceLifecycleStage.Active, _ => StartAsync(), _ => StopAsync());

    public Task StartAsync()
    {
        try
        {
            LocalApiPaths.EnsurePrivate(Path.GetDirectoryName(socketPath)!);
            File.Delete(socketPath);
            var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            listener.Bind(new UnixDomainSocketEndPoint(socketPath));
            File.SetUnixFileMode(socketPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            listener.Listen(64);
            _listener = listener;
            _accepting = Task.Run(AcceptLoopAsync);
            LogListening(socketPath);
        }
        catch (Exception ex) when (ex is IOException or SocketException or UnauthorizedAccessException)
        {
            // The CLI falls back to the Orleans client; the silo itself is fine.
            LogUnavailable(ex, socketPath);
        }

        return Task.CompletedTask;
    }

    public async Task StopAsync()
    {
        if (_listener is null)
        {
            return;
        }

        await _stopping.CancelAsync();
        _listener.Dispose();
        await _accepting;
        _listener = null;
        try
        {
            File.Delete(socketPath);
        }
        catch (IOException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _stopping.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket connection;
            try
            {
                connection = await _listener!.AcceptAsync(_stopping.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            _ = Task.Run(() => ServeAsync(connection));
        }
    }

    private async Task ServeAsync(Socket connection)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        deadline.CancelAfter(ConnectionDeadline);
        await using var stream = new NetworkStream(connection, ownsSocket: true);
        try
        {
            LocalApiReply reply;
            try
            {
                if (PeerCredentials.Uid(connection) is var peer && !Platform.LocalAdmins.IsAdmin(peer))
                {
                    LogPeerRefused(peer);
                    throw new FormationException(ErrorKind.InvalidArgument,
                        $"uid {peer} may not use this silo's local API (only {Platform.LocalAdmins.Describe()}); use the Orleans gateway");
                }

                // Root or the silo's own user: the host's administrator, so the admin account (the node signs its grain calls on its behalf).
                CallerContext.Set(Caller.Admin);
                var request = await LocalApiProtocol.ReadRequestAsync(stream, deadline.Token);
                reply = await LocalApiProtocol.AnswerAsync(_reads, _writes, request, deadline.Token);
            }
            catch (FormationException ex)
            {
                reply = LocalApiProtocol.Failure(ex);
            }
            catch (Exception ex) when (TransientFaults.IsTransient(ex))
            {
                // A grain this request needed lives on a silo that went away: the client retries (here or elsewhere).
                reply = LocalApiProtocol.TransientFailure(
                    $"a silo this request needed did not answer ({ex.GetType().Name}); the cluster is replacing it, try again shortly.");
            }
            catch (Exception ex) when (ex is not OperationCanceledException and not IOException and not SocketException)
            {
                // A grain call failed for another reason (node gone, timeout): say so, as the Orleans path would.
                reply = LocalApiProtocol.Failure(new FormationException(ErrorKind.HostFailure, ex.Message));
            }

            await LocalApiProtocol.WriteReplyAsync(stream, reply, deadline.Token);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or SocketException)
        {
            // The client went away or took too long; nothing to answer.
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Local API: refused a connection from uid {Uid}")]
    private partial void LogPeerRefused(long uid);

    [LoggerMessage(Level = LogLevel.Information, Message = "Local API on {Path} (form read commands on this host)")]
    private partial void LogListening(string path);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Local API socket {Path} could not be opened; form will use the Orleans gateway")]
    private partial void LogUnavailable(Exception ex, string path);
}
