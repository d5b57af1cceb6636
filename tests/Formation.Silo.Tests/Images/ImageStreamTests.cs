using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Formation.Formfiles;
using Formation.Grains.Images;
using Formation.Identity;
using Formation.Images;
using Formation.Silo.Identity;
using Formation.Silo.Images;
using Formation.Silo.Pack;
using Formation.Silo.Platform;
using Microsoft.Extensions.Logging.Abstractions;

namespace Formation.Silo.Tests.Images;

/// <summary>
/// The image stream between two real stores on disk, over real TCP and TLS with certificates of a real cluster CA:
/// a node with a ticket receives the image verified and sparse; readers without a node certificate of the cluster, or
/// without the ticket, get not one byte and spend nothing; a source that sends other bytes, too few, or lies about a
/// length leaves nothing in the receiving store or its scratch space.
/// </summary>
public sealed class ImageStreamTests : IAsyncDisposable
{
    private const long DiskBytes = 10L << 20;
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;

    private readonly TestDirectory _data = new("image-stream");
    private readonly ImageStore _source;
    private readonly ImageStore _target;
    private readonly ClusterAuthority _ca = ClusterAuthority.Create("formation", Now);
    private readonly ClusterCredential _sourceNode;
    private readonly ClusterCredential _targetNode;
    private readonly ImageStreamServer _server;
    private readonly List<TcpListener> _fakes = [];

    public ImageStreamTests()
    {
        _source = new ImageStore(new PackOptions { DataDirectory = _data.File("source") });
        _target = new ImageStore(new PackOptions { DataDirectory = _data.File("target") });
        _sourceNode = _ca.IssueCredential("node-src", ClusterAuthority.NodeUnit, [IPAddress.Loopback], Now);
        _targetNode = _ca.IssueCredential("node-dst", ClusterAuthority.NodeUnit, [IPAddress.Loopback], Now);
        _server = new ImageStreamServer(_source, new ImageStreamTickets(TimeProvider.System), new ImageStreamSettings("node-src", "127.0.0.1", 0, true),
            _sourceNode, NullLogger<ImageStreamServer>.Instance);
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A sparse 10 MiB "disk" with data at its start and at 7 MiB, registered in the source store.</summary>
    private async Task<ImageManifest> RegisterSparseDiskAsync(byte salt = 0)
    {
        var file = _data.File($"disk-{Guid.NewGuid():N}.ext4");
        await using (var stream = new FileStream(file, FileMode.CreateNew, FileAccess.Write))
        {
            stream.SetLength(DiskBytes);
            stream.Write(Enumerable.Range(0, 300_000).Select(i => (byte)(i * 7 + salt)).ToArray());
            stream.Position = 7L << 20;
            stream.Write(Enumerable.Range(0, 5000).Select(i => (byte)(i + 1)).ToArray());
        }

        var manifest = new ImageManifest
        {
            Name = "streamed",
            Base = BaseImage.Tiny,
            CreatedAt = DateTimeOffset.UtcNow,
            KernelCommandLine = "console=ttyS0 root=/dev/vda rw",
            RootFilesystem = new ImageArtifact(ImageArtifactKind.Ext4Disk, "rootfs.ext4", await ChunkedDigest.ComputeAsync(file, Ct), DiskBytes),
            Resources = FormfileResources.Default,
        };
        return await _source.RegisterAsync(manifest, file, Ct);
    }

    private async Task<ImageStreamOffer> OfferAsync(string digest)
    {
        if (_server.Endpoint is null)
        {
            await _server.StartAsync(Ct);
        }

        return _server.Offer(digest)!;
    }

    /// <summary>What a fetch does with an offer: receive into an import of the target store, then verify and register.</summary>
    private async Task<ImageManifest> ReceiveAsync(ImageManifest manifest, ImageStreamOffer offer)
    {
        using var import = new ImageImport(_target, manifest.Digest, manifest, _targetNode);
        await import.ReceiveAsync(offer, Ct);
        Assert.Equal(DiskBytes, import.Received);
        return await import.CommitAsync(Ct);
    }

    private string[] ScratchLeft() =>
        Directory.Exists(_data.File("target/pack/tmp")) ? Directory.GetDirectories(_data.File("target/pack/tmp")) : [];

    private async Task AssertNothingKeptAsync(ImageManifest manifest)
    {
        Assert.Null(await _target.GetAsync(manifest.Digest, Ct));
        Assert.Empty(ScratchLeft());
    }

    [Fact]
    public async Task Stream_WithItsTicket_DeliversTheImage_VerifiedAndRegistered_HolesStayHoles()
    {
        var manifest = await RegisterSparseDiskAsync();

        var imported = await ReceiveAsync(manifest, await OfferAsync(manifest.Digest));

        var entry = await _target.GetAsync(manifest.Digest, Ct);
        Assert.NotNull(entry);
        Assert.Equal(manifest.Digest, imported.Digest);
        Assert.Equal(manifest.RootFilesystem.Digest, await ChunkedDigest.ComputeAsync(entry.RootFilesystemPath, Ct));
        Assert.Equal(DiskBytes, new FileInfo(entry.RootFilesystemPath).Length);
        Assert.True(AllocatedBytes(entry.RootFilesystemPath) <= 2L << 20, $"{AllocatedBytes(entry.RootFilesystemPath)} bytes allocated");
        Assert.Empty(ScratchLeft());
    }

    [Fact]
    public async Task Stream_OfASourceFileWithAFlippedBit_FailsWithDigestMismatch_AndNothingStays()
    {
        var manifest = await RegisterSparseDiskAsync();
        var stored = (await _source.GetAsync(manifest.Digest, Ct))!.RootFilesystemPath;
        await using (var file = new FileStream(stored, FileMode.Open, FileAccess.ReadWrite))
        {
            file.Position = 1234;
            var b = file.ReadByte();
            file.Position = 1234;
            file.WriteByte((byte)(b ^ 0x01));
        }

        var offer = await OfferAsync(manifest.Digest);

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => ReceiveAsync(manifest, offer));

        Assert.StartsWith("digest mismatch: rootfs.ext4 hashes to sha256-4m:", error.Message);
        await AssertNothingKeptAsync(manifest);
    }

    [Fact]
    public async Task Stream_ThatEndsEarly_IsRefused_AndNothingStays()
    {
        var manifest = await RegisterSparseDiskAsync();
        var offer = await FakeSourceAsync(DiskBytes, async tls =>
        {
            var data = new byte[1 + ImageChunk.MaxBytes];
            data[1] = 0x42;
            await tls.WriteAsync(data, Ct); // the first range, then half of the second
            await tls.WriteAsync(data.AsMemory(0, 1 + ImageChunk.MaxBytes / 2), Ct);
        });

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => ReceiveAsync(manifest, offer));

        Assert.Equal($"the image stream ended early, at {1L << 20} of {DiskBytes} bytes of rootfs.ext4", error.Message);
        await AssertNothingKeptAsync(manifest);
    }

    [Fact]
    public async Task Stream_ThatLiesAboutTheFilesLength_IsRefusedBeforeAnyByte_AndNothingStays()
    {
        var manifest = await RegisterSparseDiskAsync();
        var offer = await FakeSourceAsync(DiskBytes + 1, tls => tls.WriteAsync(new byte[1 + ImageChunk.MaxBytes], Ct).AsTask());

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => ReceiveAsync(manifest, offer));

        Assert.Equal($"node node-src streams rootfs.ext4 as {DiskBytes + 1} bytes; the manifest says {DiskBytes}", error.Message);
        await AssertNothingKeptAsync(manifest);
    }

    [Fact]
    public async Task Stream_WithAnUnknownFrame_IsRefused_AndNothingStays()
    {
        var manifest = await RegisterSparseDiskAsync();
        var offer = await FakeSourceAsync(DiskBytes, tls => tls.WriteAsync(new byte[] { 7 }, Ct).AsTask());

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => ReceiveAsync(manifest, offer));

        Assert.Equal("the image stream sent an unknown frame (7) at 0 of rootfs.ext4", error.Message);
        await AssertNothingKeptAsync(manifest);
    }

    public static TheoryData<string> Strangers => ["no certificate", "a node certificate of another CA", "a client certificate of this cluster's CA"];

    [Theory]
    [MemberData(nameof(Strangers))]
    public async Task Reader_WithoutANodeCertificateOfTheCluster_GetsNoByte_EvenWithAValidTicket_WhichStaysUnspent(string who)
    {
        var manifest = await RegisterSparseDiskAsync();
        var offer = await OfferAsync(manifest.Digest);
        using var otherCa = ClusterAuthority.Create("formation", Now);
        using var stranger = who switch
        {
            "no certificate" => null,
            "a node certificate of another CA" => otherCa.IssueCredential("node-dst", ClusterAuthority.NodeUnit, [IPAddress.Loopback], Now),
            _ => _ca.IssueCredential("alice", ClusterAuthority.ClientUnit, [], Now),
        };

        // The attack: a TLS client that accepts any server, shows what it has, and sends the stolen ticket.
        var (bytes, failure) = await ReadAsStrangerAsync(offer, manifest.Digest, stranger?.Certificate);

        Assert.True(bytes == 0, $"{who}: read {bytes} bytes");
        Assert.NotNull(failure);
        // Nothing changed: the ticket was not spent, and the node it was meant for still gets the image with it.
        await ReceiveAsync(manifest, offer);
        Assert.NotNull(await _target.GetAsync(manifest.Digest, Ct));
    }

    [Fact]
    public async Task Node_WithAGuessedTicket_AReusedOne_OrOneForAnotherImage_IsRefused_AndGetsNoByte()
    {
        var manifest = await RegisterSparseDiskAsync();
        var other = await RegisterSparseDiskAsync(salt: 1);
        var offer = await OfferAsync(manifest.Digest);
        var otherOffer = await OfferAsync(other.Digest);

        var guessed = await Assert.ThrowsAsync<InvalidDataException>(() => ReceiveAsync(manifest, offer with { Ticket = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" }));
        var forOther = await Assert.ThrowsAsync<InvalidDataException>(() => ReceiveAsync(manifest, otherOffer));
        await AssertNothingKeptAsync(manifest);
        await ReceiveAsync(manifest, offer);
        Assert.True(await _target.DeleteAsync(manifest.Digest, Ct));
        var reused = await Assert.ThrowsAsync<InvalidDataException>(() => ReceiveAsync(manifest, offer));

        Assert.Equal("node node-src refused the image stream: the ticket is unknown or was used already", guessed.Message);
        Assert.Equal("node node-src refused the image stream: the ticket is for another image", forOther.Message);
        Assert.Equal("node node-src refused the image stream: the ticket is unknown or was used already", reused.Message);
        await AssertNothingKeptAsync(manifest);
    }

    [Fact]
    public async Task Stream_ThatCannotBeReached_OrIsNotTheNodeOffered_IsUnreachable_BeforeAnythingIsWritten()
    {
        var manifest = await RegisterSparseDiskAsync();
        var offer = await OfferAsync(manifest.Digest);
        using var closed = new TcpListener(IPAddress.Loopback, 0);
        closed.Start();
        var closedPort = ((IPEndPoint)closed.LocalEndpoint).Port;
        closed.Stop();

        using var import = new ImageImport(_target, manifest.Digest, manifest, _targetNode);
        var refused = await Assert.ThrowsAsync<ImageStreamUnreachableException>(() => import.ReceiveAsync(offer with { Endpoint = $"127.0.0.1:{closedPort}" }, Ct));
        // The source's certificate names node-src: a connection meant for node-b is not completed.
        var impostor = await Assert.ThrowsAsync<ImageStreamUnreachableException>(() => import.ReceiveAsync(offer with { NodeId = "node-b" }, Ct));
        using var withoutCredential = new ImageImport(_target, manifest.Digest, manifest);
        var uncredentialed = await Assert.ThrowsAsync<ImageStreamUnreachableException>(() => withoutCredential.ReceiveAsync(offer, Ct));

        Assert.Contains("refused", refused.Message, StringComparison.OrdinalIgnoreCase);
        Assert.NotEmpty(impostor.Message);
        Assert.Equal("this node has no node certificate to show", uncredentialed.Message);
        Assert.Equal(0, import.Received);
        import.Dispose();
        withoutCredential.Dispose();
        await AssertNothingKeptAsync(manifest);
        await ReceiveAsync(manifest, offer); // the ticket was never presented: still good
    }

    /// <summary>
    /// A source that does the handshake right (node-src's certificate), checks nothing, answers <paramref name="length"/>
    /// for the file and then sends whatever <paramref name="send"/> sends.
    /// </summary>
    private Task<ImageStreamOffer> FakeSourceAsync(long length, Func<SslStream, Task> send)
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        _fakes.Add(listener);
        _ = Task.Run(async () =>
        {
            using var client = await listener.AcceptTcpClientAsync(Ct);
            await using var tls = new SslStream(client.GetStream(), false);
            await tls.AuthenticateAsServerAsync(NodeTls.Server(_sourceNode), Ct);
            await JsonLines.ReadAsync(tls, ImageStreamJson.Default.ImageStreamRequest, Ct);
            await JsonLines.WriteAsync(tls, new ImageStreamAnswer([length], null), ImageStreamJson.Default.ImageStreamAnswer, Ct);
            await send(tls);
            await tls.FlushAsync(Ct);
        }, Ct);
        return Task.FromResult(new ImageStreamOffer("node-src", $"127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}", "fake-ticket"));
    }

    /// <summary>Connects to the offer's stream with <paramref name="certificate"/> (or none), asks for the image and counts what comes.</summary>
    private static async Task<(long Bytes, string? Failure)> ReadAsStrangerAsync(ImageStreamOffer offer, string digest, X509Certificate2? certificate)
    {
        var port = int.Parse(offer.Endpoint[(offer.Endpoint.LastIndexOf(':') + 1)..]);
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, port, Ct);
        await using var tls = new SslStream(tcp.GetStream(), false, (_, _, _, _) => true);
        long bytes = 0;
        try
        {
            await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = offer.NodeId,
                ClientCertificateContext = certificate is null ? null : SslStreamCertificateContext.Create(certificate, null, offline: true),
            }, Ct);
            await JsonLines.WriteAsync(tls, new ImageStreamRequest(offer.Ticket, digest, ["rootfs.ext4"]), ImageStreamJson.Default.ImageStreamRequest, Ct);
            var buffer = new byte[64 * 1024];
            int n;
            while ((n = await tls.ReadAsync(buffer, Ct)) > 0)
            {
                bytes += n;
            }

            return (bytes, bytes == 0 ? "closed without a byte" : null);
        }
        catch (Exception ex) when (ex is IOException or AuthenticationException or SocketException)
        {
            return (bytes, ex.Message);
        }
    }

    /// <summary>Bytes the file system allocated to the file (st_blocks × 512), via stat(1).</summary>
    private static long AllocatedBytes(string path)
    {
        using var stat = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("stat", ["-c", "%b %B", path]) { RedirectStandardOutput = true })!;
        var parts = stat.StandardOutput.ReadToEnd().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        stat.WaitForExit();
        return long.Parse(parts[0]) * long.Parse(parts[1]);
    }

    public async ValueTask DisposeAsync()
    {
        await _server.StopAsync(CancellationToken.None);
        _server.Dispose();
        foreach (var fake in _fakes)
        {
            fake.Stop();
        }

        _sourceNode.Dispose();
        _targetNode.Dispose();
        _ca.Dispose();
        _data.Dispose();
    }
}
