using System.Formats.Tar;
using Formation.Silo.Pack;

namespace Formation.Silo.Tests.Pack;

public class ContextArchiveTests : IDisposable
{
    private readonly TestDirectory _target = new("context-out");

    internal static MemoryStream Tar(params TarEntry[] entries)
    {
        var stream = new MemoryStream();
        using (var writer = new TarWriter(stream, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var entry in entries)
            {
                writer.WriteEntry(entry);
            }
        }

        stream.Position = 0;
        return stream;
    }

    private static PaxTarEntry File(string name, string content = "x") =>
        new(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(content)) };

    [Fact]
    public async Task ExtractAsync_NormalTree_IsUnpacked()
    {
        using var tar = Tar(new PaxTarEntry(TarEntryType.Directory, "./"), new PaxTarEntry(TarEntryType.Directory, "app/"),
            File("app/server.py", "print(1)"), new PaxTarEntry(TarEntryType.SymbolicLink, "app/main.py") { LinkName = "server.py" });

        await ContextArchive.ExtractAsync(tar, _target.Path, TestContext.Current.CancellationToken);

        Assert.Equal("print(1)", System.IO.File.ReadAllText(Path.Combine(_target.Path, "app", "main.py")));
    }

    [Theory]
    [InlineData("../escape.txt")]
    [InlineData("/etc/formation-test-escape")]
    [InlineData("app/../../escape.txt")]
    public async Task ExtractAsync_EntryLeavingTheContext_IsRejected(string name)
    {
        using var tar = Tar(File(name));
        var ex = await Assert.ThrowsAsync<BuildStepException>(() => ContextArchive.ExtractAsync(tar, _target.Path, TestContext.Current.CancellationToken));
        Assert.Contains("unsafe entry", ex.Message);
        Assert.False(System.IO.File.Exists("/etc/formation-test-escape"));
    }

    [Fact]
    public async Task ExtractAsync_FileWrittenThroughSymlink_IsRejected()
    {
        using var tar = Tar(new PaxTarEntry(TarEntryType.SymbolicLink, "evil") { LinkName = "/tmp" }, File("evil/planted.txt"));
        var ex = await Assert.ThrowsAsync<BuildStepException>(() => ContextArchive.ExtractAsync(tar, _target.Path, TestContext.Current.CancellationToken));
        Assert.Contains("through a symlink", ex.Message);
        Assert.False(System.IO.File.Exists("/tmp/planted.txt"));
    }

    [Fact]
    public async Task ExtractAsync_DeviceEntry_IsRejected()
    {
        using var tar = Tar(new PaxTarEntry(TarEntryType.CharacterDevice, "null") { DeviceMajor = 1, DeviceMinor = 3 });
        var ex = await Assert.ThrowsAsync<BuildStepException>(() => ContextArchive.ExtractAsync(tar, _target.Path, TestContext.Current.CancellationToken));
        Assert.Contains("only files, directories and symlinks", ex.Message);
    }

    public void Dispose() => _target.Dispose();
}
