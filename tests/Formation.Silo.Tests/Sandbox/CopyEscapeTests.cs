using System.Formats.Tar;
using Formation.Formfiles;
using Formation.Images;
using Formation.Silo.Pack;

namespace Formation.Silo.Tests.Sandbox;

/// <summary>
/// Finding 1: a client that skips the CLI's checks sends a context whose directories are symlinks to the host, or
/// whose archive entries climb out; the silo must refuse them itself and nothing of the host may reach an image.
/// </summary>
public class CopyEscapeTests : IDisposable
{
    private readonly SandboxedBuild _build = new();
    private readonly TestDirectory _context = new("sb-context");

    private static CopyInstruction Copy(params string[] sources) => new(new FormfileLocation(1, 1), [.. sources], "/x");

    private static MemoryStream Tar(params TarEntry[] entries) => Formation.Silo.Tests.Pack.ContextArchiveTests.Tar(entries);

    private static PaxTarEntry Link(string name, string target) => new(TarEntryType.SymbolicLink, name) { LinkName = target };

    [Fact]
    public async Task Build_CopyThroughSymlinkedDirectoryToEtc_IsRefusedAndNothingOfTheHostIsStored()
    {
        TestEnvironment.RequireBuilder();
        var shadow = await File.ReadAllBytesAsync("/etc/shadow", TestContext.Current.CancellationToken);
        using var tar = Tar(Link("d", "/etc"));

        var ex = await Assert.ThrowsAsync<ImageBuildException>(() =>
            _build.BuildAsync("NAME leak\nFROM tiny\nCOPY d/shadow /x\nRUN cat /x/shadow; exit 1\n", tar));

        Assert.Equal(2, ex.Failure.Step);
        Assert.Contains("COPY source 'd/shadow' goes through 'd', a symlink to '/etc' that points outside the build context", ex.Failure.Message);
        Assert.Empty(await _build.Store.ListAsync(TestContext.Current.CancellationToken));
        Assert.Single(Directory.EnumerateDirectories(_build.LayersDirectory)); // the base only: no COPY layer was made
        Assert.Equal(shadow, await File.ReadAllBytesAsync("/etc/shadow", TestContext.Current.CancellationToken));
    }

    [Theory]
    [InlineData("../..")]
    [InlineData("sub/../../..")]
    public async Task Build_CopyThroughRelativeSymlinkClimbingOut_IsRefused(string target)
    {
        TestEnvironment.RequireBuilder();
        using var tar = Tar(new PaxTarEntry(TarEntryType.Directory, "sub"), Link("up", target));

        var ex = await Assert.ThrowsAsync<ImageBuildException>(() => _build.BuildAsync("NAME leak\nFROM tiny\nCOPY up/etc/hostname /x\n", tar));

        Assert.Contains("'up', a symlink to", ex.Failure.Message);
        Assert.Contains("outside the build context", ex.Failure.Message);
        Assert.Empty(await _build.Store.ListAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public void Resolve_SymlinkedDirectoryInsideTheContext_IsFollowedInside()
    {
        _context.Write("real/app.txt", "inside");
        File.CreateSymbolicLink(Path.Combine(_context.Path, "alias"), "real");

        var entry = Assert.Single(BuildContext.FromDirectory(_context.Path).Resolve(Copy("alias/app.txt")));

        Assert.Equal(Path.Combine(_context.Path, "real", "app.txt"), entry.SourcePath);
    }

    [Fact]
    public void Resolve_ChainOfLinksEndingOutside_IsRefusedAtTheLinkThatLeaves()
    {
        Directory.CreateDirectory(Path.Combine(_context.Path, "a"));
        File.CreateSymbolicLink(Path.Combine(_context.Path, "a", "b"), "../c");
        File.CreateSymbolicLink(Path.Combine(_context.Path, "c"), "/root");

        var ex = Assert.Throws<BuildStepException>(() => BuildContext.FromDirectory(_context.Path).Resolve(Copy("a/b/.ssh")));

        Assert.Contains("goes through 'c', a symlink to '/root'", ex.Message);
    }

    [Fact]
    public void Resolve_SymlinkLoop_IsRefusedWithoutHanging()
    {
        File.CreateSymbolicLink(Path.Combine(_context.Path, "loop"), "loop");

        var ex = Assert.Throws<BuildStepException>(() => BuildContext.FromDirectory(_context.Path).Resolve(Copy("loop/x")));

        Assert.Contains("more than 40 symlinks", ex.Message);
    }

    [Theory]
    [InlineData(TarEntryType.HardLink, "hard")]
    [InlineData(TarEntryType.BlockDevice, "sda")]
    [InlineData(TarEntryType.Fifo, "pipe")]
    public async Task Extract_EntryOtherThanFileDirectoryOrSymlink_IsRefusedNamingIt(TarEntryType type, string name)
    {
        var entry = new PaxTarEntry(type, name);
        if (type == TarEntryType.HardLink)
        {
            entry.LinkName = "/etc/shadow";
        }

        using var tar = Tar(entry);
        var target = Path.Combine(_context.Path, "out");

        var ex = await Assert.ThrowsAsync<BuildStepException>(() => ContextArchive.ExtractAsync(tar, target, TestContext.Current.CancellationToken));

        Assert.Contains($"'{name}'", ex.Message);
        Assert.Empty(Directory.EnumerateFileSystemEntries(target));
    }

    public void Dispose()
    {
        _build.Dispose();
        _context.Dispose();
    }
}
