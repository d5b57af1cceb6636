using Formation.Formfiles;
using Formation.Images;
using Formation.Silo.Pack;

namespace Formation.Silo.Tests.Pack;

public class ImageStoreTests : IDisposable
{
    private readonly TestDirectory _data = new("store");
    private readonly ImageStore _store;

    public ImageStoreTests() => _store = new ImageStore(new PackOptions { DataDirectory = _data.Path });

    private async Task<ImageManifest> RegisterAsync(string name, string content)
    {
        var file = _data.Write($"artifact-{Guid.NewGuid():N}.cpio", content);
        var manifest = new ImageManifest
        {
            Name = name,
            Base = BaseImage.Tiny,
            CreatedAt = DateTimeOffset.UtcNow,
            KernelCommandLine = "console=ttyS0",
            RootFilesystem = new ImageArtifact(ImageArtifactKind.Initramfs, "rootfs.cpio", PackDigest.Format(PackDigest.Hex(content)), content.Length),
            Resources = FormfileResources.Default,
        };
        var registered = await _store.RegisterAsync(manifest, file, TestContext.Current.CancellationToken);
        await _store.TagAsync(registered.Digest, name, TestContext.Current.CancellationToken);
        return registered;
    }

    [Fact]
    public async Task RegisterAsync_SameContent_SameDigestWhateverTheTime()
    {
        var first = await RegisterAsync("a", "one");
        var again = first with { CreatedAt = DateTimeOffset.UnixEpoch, Digest = "" };
        Assert.Equal(first.Digest, ImageStore.ComputeDigest(again));
        Assert.NotEqual(first.Digest, ImageStore.ComputeDigest(again with { Workdir = "/srv" }));
    }

    [Fact]
    public async Task HealthCheck_IsInTheDigestWhenGiven_AndAbsentFromTheJsonWhenNot()
    {
        var plain = await RegisterAsync("h", "health");
        var check = new Formation.Services.HealthCheck(8080, "/healthz", TimeSpan.FromSeconds(5), 3, TimeSpan.FromSeconds(60));
        var withCheck = plain with { Digest = "", Health = check };

        // Images built before HEALTHCHECK existed hash the same: no "health" key unless there is a check.
        Assert.DoesNotContain("\"health\"", System.Text.Json.JsonSerializer.Serialize(plain, PackJson.Canonical));
        Assert.NotEqual(plain.Digest, ImageStore.ComputeDigest(withCheck));
        var json = System.Text.Json.JsonSerializer.Serialize(withCheck, PackJson.Options);
        Assert.Equal(check, System.Text.Json.JsonSerializer.Deserialize<ImageManifest>(json, PackJson.Options)!.Health);
    }

    [Fact]
    public async Task GetAsync_ByTagDigestHexAndPrefix_FindsTheImage()
    {
        var manifest = await RegisterAsync("web", "content");
        var hex = manifest.Digest[7..];
        foreach (var key in new[] { "web", manifest.Digest, hex, hex[..12], "sha256:" + hex[..16] })
        {
            var entry = await _store.GetAsync(key, TestContext.Current.CancellationToken);
            Assert.True(entry is not null, key);
            Assert.Equal(manifest.Digest, entry.Manifest.Digest);
            Assert.Equal("content", File.ReadAllText(entry.RootFilesystemPath));
        }

        Assert.Null(await _store.GetAsync(hex[..8], TestContext.Current.CancellationToken)); // too short to be unambiguous
        Assert.Null(await _store.GetAsync("other", TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task DeleteAsync_ByTag_KeepsImageWhileAnotherTagPointsAtIt()
    {
        var manifest = await RegisterAsync("v1", "same");
        await _store.TagAsync(manifest.Digest, "latest", TestContext.Current.CancellationToken);

        Assert.True(await _store.DeleteAsync("v1", TestContext.Current.CancellationToken));
        Assert.Equal(["latest"], (await _store.GetAsync(manifest.Digest, TestContext.Current.CancellationToken))!.Tags);

        Assert.True(await _store.DeleteAsync("latest", TestContext.Current.CancellationToken));
        Assert.Null(await _store.GetAsync(manifest.Digest, TestContext.Current.CancellationToken));
        Assert.Empty(await _store.ListAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task DeleteAsync_ByDigest_RemovesImageAndAllTags()
    {
        var manifest = await RegisterAsync("x", "data");
        await _store.TagAsync(manifest.Digest, "y", TestContext.Current.CancellationToken);
        Assert.True(await _store.DeleteAsync(manifest.Digest, TestContext.Current.CancellationToken));
        Assert.Null(await _store.GetAsync("x", TestContext.Current.CancellationToken));
        Assert.Null(await _store.GetAsync("y", TestContext.Current.CancellationToken));
        Assert.False(await _store.DeleteAsync("x", TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task ListAsync_ReturnsEveryImageWithItsTags()
    {
        await RegisterAsync("one", "1");
        await RegisterAsync("two", "2");
        var list = await _store.ListAsync(TestContext.Current.CancellationToken);
        Assert.Equal(["one", "two"], list.SelectMany(e => e.Tags).Order());
    }

    [Theory]
    [InlineData("")]
    [InlineData("has space")]
    [InlineData("a/b")]
    [InlineData("../x")]
    [InlineData("sha256:abc")]
    [InlineData("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")]
    public async Task TagAsync_InvalidTag_IsRejected(string tag)
    {
        var manifest = await RegisterAsync("ok", "z");
        await Assert.ThrowsAsync<ArgumentException>(() => _store.TagAsync(manifest.Digest, tag, TestContext.Current.CancellationToken));
    }

    public void Dispose() => _data.Dispose();
}
