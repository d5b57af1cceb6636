using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using Formation.Grains.Images;
using Formation.Identity;
using Formation.Images;
using Formation.Silo.Identity;
using Formation.Silo.Pack;
using Formation.Silo.Platform;
using Microsoft.Extensions.Hosting;
using Microsoft.Win32.SafeHandles;

namespace Formation.Silo.Images;

/// <summary>
/// This node's image stream: a TCP listener on the address the cluster knows the node by, serving the files of its
/// stored images to nodes that fetch them, at the speed of a plain socket instead of one grain call per chunk. Every
/// connection must complete mutual TLS with a node certificate of the cluster (<see cref="NodeTls"/>) within
/// <see cref="HandshakeDeadline"/>, then present a one-time ticket for the image it asks for (<see cref="ImageStreamTickets"/>,
/// handed out only in a grain call from a node); anything else gets a refusal and not one byte of an image. At most
/// <see cref="MaxConnections"/> connections at once. Without a node credential (test hosts) there is no stream and
/// nodes fetch in grain calls.
/// </summary>
public sealed partial class ImageStreamServer(
    ImageStore store,
    ImageStreamTickets tickets,
    ImageStreamSettings settings,
    ClusterCredential? node,
    ILogger<ImageStreamServer> logger) : BackgroundService
{
    public static readonly TimeSpan HandshakeDeadline = TimeSpan.FromSeconds(10);

    /// <summary>A receiver that takes nothing for this long loses its connection.</summary>
    public static readonly TimeSpan StallTimeout = TimeSpan.FromSeconds(30);

    public const int MaxConnections = 8;
    private const int MaxFiles = 16;
    private readonly SemaphoreSlim _slots = new(MaxConnections);
    private TcpListener? _listener;

    /// <summary>The endpoint fetching nodes connect to; null while there is no stream.</summary>
    public string? Endpoint { get; private set; }

    /// <summary>A ticket to read image <paramref name="digest"/> from this node's stream; null when there is no stream.</summary>
    public ImageStreamOffer? Offer(string digest) =>
        Endpoint is { } endpoint ? new ImageStreamOffer(settings.NodeId, endpoint, tickets.Issue(digest)) : null;

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        if (!settings.Enabled || node is null)
        {
            LogNoStream(settings.Enabled ? "this host has no node certificate" : "switched off");
            return Task.CompletedTask;
        }

        // Bound here, not in the loop, so a taken port stops the silo's start with a clear error. The advertised address
        // if this host has it; every address if it is not local (advertised through NAT), as the silo port does.
        var address = IPAddress.TryParse(settings.AdvertisedHost, out var advertised) ? advertised : IPAddress.Any;
        try
        {
            _listener = Listen(address, settings.Port);
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.AddressNotAvailable)
        {
            _listener = Listen(address.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, settings.Port);
        }

        var port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        Endpoint = address.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{settings.AdvertisedHost}]:{port}" : $"{settings.AdvertisedHost}:{port}";
        LogListening(Endpoint);
        return base.StartAsync(cancellationToken);
    }

    private static TcpListener Listen(IPAddress address, int port)
    {
        var listener = new TcpListener(address, port);
        listener.Start(64);
        return listener;
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        Endpoint = null;
        await base.StopAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_listener is not { } listener)
        {
            return;
        }

        // Beyond its slots a connection is closed at once: the fetching node falls back to grain calls.
        await BoundedAcceptLoop.RunAsync(listener, _slots, ServeAsync, stoppingToken);
    }

    private async Task ServeAsync(TcpClient client, CancellationToken stoppingToken)
    {
        var remote = client.Client.RemoteEndPoint?.ToString() ?? "?";
        client.NoDelay = true;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        deadline.CancelAfter(HandshakeDeadline);
        var ct = deadline.Token;
        var handles = new List<SafeFileHandle>();
        try
        {
            var socket = new BatchingStream(client.GetStream());
            await using var tls = new SslStream(socket, false);
            await tls.AuthenticateAsServerAsync(NodeTls.Server(node!), ct);
            var request = await JsonLines.ReadAsync(tls, ImageStreamJson.Default.ImageStreamRequest, ct);
            var refusal = tickets.Redeem(request.Ticket ?? "", request.Digest ?? "");
            if (refusal is null && request.Files is not { Count: > 0 and <= MaxFiles })
            {
                refusal = $"ask for 1 to {MaxFiles} files";
            }

            if (refusal is null)
            {
                try
                {
                    foreach (var file in request.Files)
                    {
                        handles.Add(store.OpenServed(request.Digest!, file));
                    }
                }
                catch (Exception ex) when (ex is ArgumentException or FileNotFoundException or IOException)
                {
                    refusal = ex.Message;
                }
            }

            if (refusal is not null)
            {
                LogRefused(remote, refusal);
                await JsonLines.WriteAsync(tls, new ImageStreamAnswer(null, refusal), ImageStreamJson.Default.ImageStreamAnswer, ct);
                return;
            }

            var lengths = handles.Select(RandomAccess.GetLength).ToList();
            await JsonLines.WriteAsync(tls, new ImageStreamAnswer(lengths, null), ImageStreamJson.Default.ImageStreamAnswer, ct);

            // The files' TLS records leave in sends of many records each (the flush below sends the last ones).
            socket.GatherWrites = true;
            for (var i = 0; i < handles.Count; i++)
            {
                await SendAsync(tls, handles[i], lengths[i], deadline, ct);
            }

            await tls.FlushAsync(ct);
            LogServed(request.Digest!, remote, lengths.Sum());
        }
        catch (Exception ex) when (ex is IOException or SocketException or System.Security.Authentication.AuthenticationException
            or InvalidDataException or System.Text.Json.JsonException or OperationCanceledException)
        {
            LogConnectionFailed(remote, ex.Message);
        }
        finally
        {
            foreach (var handle in handles)
            {
                handle.Dispose();
            }
        }
    }

    /// <summary>One file as frames (<see cref="ImageStreamFrame"/>): the next range is read from disk while the previous one is sent.</summary>
    private static async Task SendAsync(SslStream tls, SafeFileHandle handle, long length, CancellationTokenSource stall, CancellationToken ct)
    {
        byte[][] buffers = [new byte[1 + ImageChunk.MaxBytes], new byte[1 + ImageChunk.MaxBytes]];
        var sending = Task.CompletedTask;
        var which = 0;
        for (long offset = 0; offset < length; offset += ImageChunk.MaxBytes)
        {
            var size = ImageChunk.RangeLength(offset, length);
            var buffer = buffers[which];
            which ^= 1;
            var frame = 1;
            if (ChunkedDigest.IsHole(handle, offset, size))
            {
                buffer[0] = ImageStreamFrame.Hole;
            }
            else
            {
                buffer[0] = ImageStreamFrame.Data;
                for (var read = 0; read < size;)
                {
                    var n = await RandomAccess.ReadAsync(handle, buffer.AsMemory(1 + read, size - read), offset + read, ct);
                    read += n > 0 ? n : throw new IOException("the file shrank while it was being sent");
                }

                frame += size;
            }

            await sending;
            stall.CancelAfter(StallTimeout);
            sending = tls.WriteAsync(buffer.AsMemory(0, frame), ct).AsTask();
        }

        await sending;
    }

    public override void Dispose()
    {
        _listener?.Stop();
        _slots.Dispose();
        base.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Image stream on {Endpoint} (mutual TLS between nodes, one-time tickets)")]
    private partial void LogListening(string endpoint);

    [LoggerMessage(Level = LogLevel.Information, Message = "No image stream ({Reason}): nodes fetch this node's images in grain calls")]
    private partial void LogNoStream(string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Image {Digest} streamed to {Remote}: {Bytes} bytes")]
    private partial void LogServed(string digest, string remote, long bytes);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Image stream: refused {Remote}: {Reason}")]
    private partial void LogRefused(string remote, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Image stream connection from {Remote} ended early: {Reason}")]
    private partial void LogConnectionFailed(string remote, string reason);
}
