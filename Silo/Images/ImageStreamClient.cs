using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using Formation.Connection;
using Formation.Grains.Images;
using Formation.Identity;
using Formation.Images;
using Formation.Silo.Identity;
using Formation.Silo.Pack;
using Formation.Silo.Platform;
using Microsoft.Win32.SafeHandles;

namespace Formation.Silo.Images;

/// <summary>
/// The fetching side of the image stream (<see cref="ImageStreamServer"/>): connects to the offer's endpoint, completes
/// mutual TLS with this node's certificate (the source's must name the offer's node), sends the ticket and the files it
/// wants, and writes the frames it gets at their offsets, checking every length against the manifest. It trusts the
/// bytes no more than a chunk: the import verifies the digests afterwards.
/// </summary>
internal static class ImageStreamClient
{
    public static readonly TimeSpan ConnectDeadline = TimeSpan.FromSeconds(10);

    /// <summary>A source that sends nothing for this long is given up on.</summary>
    public static readonly TimeSpan StallTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Written bytes are handed to the disk every this many, so the final fsync has little left to do.</summary>
    private const int WritebackBytes = 16 << 20;

    /// <summary>
    /// One file to receive: what the manifest says of it, the scratch file (already at its full length) to write into,
    /// and the digest of what arrives, computed as it arrives.
    /// </summary>
    public sealed record Target(ImageArtifact File, SafeFileHandle Handle, ChunkedDigestBuilder Digest);

    public static async Task ReceiveAsync(ClusterCredential? node, ImageStreamOffer offer, string digest, IReadOnlyList<Target> targets,
        Action<long> received, CancellationToken cancellationToken)
    {
        if (node is null)
        {
            throw new ImageStreamUnreachableException("this node has no node certificate to show");
        }

        if (!ConnectionSettings.TrySplit(offer.Endpoint, out var host, out var port))
        {
            throw new ImageStreamUnreachableException($"'{offer.Endpoint}' is not address:port");
        }

        using var tcp = new TcpClient { NoDelay = true };
        using var stall = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        stall.CancelAfter(ConnectDeadline);
        var ct = stall.Token;
        SslStream tls;
        try
        {
            await tcp.ConnectAsync(host, port, ct);
            // Many TLS records per receive call instead of one (BatchingStream).
            tls = new SslStream(new BatchingStream(tcp.GetStream()), false);
            await tls.AuthenticateAsClientAsync(NodeTls.Client(node, offer.NodeId), ct);
        }
        catch (Exception ex) when (ex is SocketException or AuthenticationException or IOException ||
            (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            throw new ImageStreamUnreachableException(ex is OperationCanceledException ? $"no TLS answer within {ConnectDeadline.TotalSeconds:0} s" : ex.Message, ex);
        }

        await using (tls)
        {
            try
            {
                await JsonLines.WriteAsync(tls, new ImageStreamRequest(offer.Ticket, digest, [.. targets.Select(t => t.File.FileName)]),
                    ImageStreamJson.Default.ImageStreamRequest, ct);
                var answer = await JsonLines.ReadAsync(tls, ImageStreamJson.Default.ImageStreamAnswer, ct);
                if (answer.Error is { } error)
                {
                    throw new InvalidDataException($"node {offer.NodeId} refused the image stream: {error}");
                }

                if (answer.Lengths is not { } lengths || lengths.Count != targets.Count)
                {
                    throw new InvalidDataException($"node {offer.NodeId} answered for {answer.Lengths?.Count ?? 0} files, not the {targets.Count} asked for");
                }

                for (var i = 0; i < targets.Count; i++)
                {
                    var file = targets[i].File;
                    if (lengths[i] != file.SizeBytes)
                    {
                        throw new InvalidDataException($"node {offer.NodeId} streams {file.FileName} as {lengths[i]} bytes; the manifest says {file.SizeBytes}");
                    }

                    await ReceiveFileAsync(tls, targets[i], stall, received, ct);
                }
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"node {offer.NodeId} sent nothing for {StallTimeout.TotalSeconds:0} s");
            }
        }
    }

    /// <summary>
    /// One file's frames; all-zero ranges are not written (the file was made at its full length, so they stay holes). The
    /// next frame is read from the connection (and decrypted) while the one before it is digested and written on the
    /// thread pool: TLS on one core, SHA-256 and the page cache on the other, instead of one after the other on one. The
    /// frames are digested and written in order, one at a time, and none is still being written when this returns.
    /// </summary>
    private static async Task ReceiveFileAsync(Stream tls, Target target, CancellationTokenSource stall, Action<long> received, CancellationToken ct)
    {
        var (file, handle, digest) = (target.File, target.Handle, target.Digest);
        byte[][] buffers = [new byte[ImageChunk.MaxBytes], new byte[ImageChunk.MaxBytes]];
        var kind = new byte[1];
        var which = 0;
        long writtenBack = 0;
        var storing = Task.CompletedTask;
        try
        {
            for (long offset = 0; offset < file.SizeBytes; offset += ImageChunk.MaxBytes)
            {
                stall.CancelAfter(StallTimeout);
                var size = ImageChunk.RangeLength(offset, file.SizeBytes);

                // The buffer the frame before last was stored from: that store was awaited before the last one started.
                var buffer = buffers[which];
                which ^= 1;
                await ReadExactlyAsync(tls, kind, file, offset, ct);
                if (kind[0] == ImageStreamFrame.Data)
                {
                    await ReadExactlyAsync(tls, buffer.AsMemory(0, size), file, offset, ct);
                }
                else if (kind[0] != ImageStreamFrame.Hole)
                {
                    throw new InvalidDataException($"the image stream sent an unknown frame ({kind[0]}) at {offset} of {file.FileName}");
                }

                // Copies for the store: the loop moves on (offset, kind) before it runs.
                var (data, at) = (kind[0] == ImageStreamFrame.Hole ? null : buffer, offset);
                await storing;
                storing = Task.Run(() => StoreAsync(data, at, size), ct);
            }
        }
        catch
        {
            // Never return (the caller then closes the file and the digest) while a frame is still being stored; the
            // failure to read is the one that counts.
            await storing.ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            throw;
        }

        await storing;

        async Task StoreAsync(byte[]? data, long offset, int size)
        {
            if (data is null)
            {
                digest.AppendZeros(size);
            }
            else
            {
                digest.AppendData(data.AsSpan(0, size));
                if (data.AsSpan(0, size).ContainsAnyExcept((byte)0))
                {
                    await RandomAccess.WriteAsync(handle, data.AsMemory(0, size), offset, ct);
                }
            }

            received(size);
            if (offset + size - writtenBack >= WritebackBytes)
            {
                HostWriteback.Start(handle, writtenBack, offset + size - writtenBack);
                writtenBack = offset + size;
            }
        }
    }

    private static async Task ReadExactlyAsync(Stream tls, Memory<byte> into, ImageArtifact file, long offset, CancellationToken ct)
    {
        try
        {
            await tls.ReadExactlyAsync(into, ct);
        }
        catch (EndOfStreamException)
        {
            throw new InvalidDataException($"the image stream ended early, at {offset} of {file.SizeBytes} bytes of {file.FileName}");
        }
    }
}
