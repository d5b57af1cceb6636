using System.Diagnostics;
using System.Formats.Tar;
using Formation.Cli.Context;

namespace Formation.Cli.Tests.Pack;

public sealed class ContextPackerTests : IDisposable
{
    private readonly TestDirectory _dir = new("context");
    private readonly TestDirectory _outside = new("outside");

    [Fact]
    public async Task WriteTarAsync_Directory_PacksFilesDirsAndInsideLinks_SkipsIgnoredOutsideLinksAndSpecialFiles()
    {
        _dir.Write("app/main.sh", "#!/bin/sh\necho main\n");
        File.SetUnixFileMode(Path.Combine(_dir.Path, "app/main.sh"), (UnixFileMode)0b111_101_101);
        _dir.Write("app/debug.log", "noise");
        _dir.Write("secret.txt", "do not send");
        _dir.Write(".formignore", "*.log\n/secret.txt\n");
        File.CreateSymbolicLink(Path.Combine(_dir.Path, "app/current"), "main.sh");
        File.CreateSymbolicLink(Path.Combine(_dir.Path, "passwd"), "/etc/passwd");
        File.CreateSymbolicLink(Path.Combine(_dir.Path, "escape"), "../" + Path.GetFileName(_outside.Path));
        using (var mkfifo = Process.Start("mkfifo", Path.Combine(_dir.Path, "pipe"))!)
        {
            await mkfifo.WaitForExitAsync(TestContext.Current.CancellationToken);
            Assert.Equal(0, mkfifo.ExitCode);
        }

        using var tar = new MemoryStream();
        var summary = await ContextPacker.WriteTarAsync(_dir.Path, FormIgnore.Load(_dir.Path), tar, TestContext.Current.CancellationToken);

        tar.Position = 0;
        var entries = new Dictionary<string, TarEntry>();
        await using (var reader = new TarReader(tar))
        {
            while (await reader.GetNextEntryAsync(copyData: true, TestContext.Current.CancellationToken) is { } entry)
            {
                entries[entry.Name] = entry;
            }
        }

        Assert.Equal([".formignore", "app/", "app/current", "app/main.sh"], entries.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(TarEntryType.SymbolicLink, entries["app/current"].EntryType);
        Assert.Equal("main.sh", entries["app/current"].LinkName);
        Assert.Equal((UnixFileMode)0b111_101_101, entries["app/main.sh"].Mode);
        Assert.Equal("#!/bin/sh\necho main\n", new StreamReader(entries["app/main.sh"].DataStream!).ReadToEnd());
        Assert.All(entries.Values, e => Assert.Equal((0, 0), (e.Uid, e.Gid)));
        Assert.Equal((2, 1, 1), (summary.Files, summary.Directories, summary.Symlinks));
        Assert.Equal(3, summary.Skipped.Count);
        Assert.Contains(summary.Skipped, s => s.StartsWith("passwd: a symlink to '/etc/passwd', outside the context", StringComparison.Ordinal));
        Assert.Contains(summary.Skipped, s => s.StartsWith("escape: a symlink", StringComparison.Ordinal));
        Assert.Contains("pipe: a FIFO", summary.Skipped);
    }

    [Fact]
    public async Task WriteTarAsync_SameDirectoryTwice_GivesTheSameBytes()
    {
        _dir.Write("b.txt", "b");
        _dir.Write("a/c.txt", "c");

        var first = await PackAsync();
        File.SetLastWriteTimeUtc(Path.Combine(_dir.Path, "b.txt"), DateTime.UtcNow.AddDays(-3));
        var second = await PackAsync();

        Assert.Equal(first, second);
    }

    private async Task<byte[]> PackAsync()
    {
        using var tar = new MemoryStream();
        await ContextPacker.WriteTarAsync(_dir.Path, FormIgnore.Empty, tar, TestContext.Current.CancellationToken);
        return tar.ToArray();
    }

    public void Dispose()
    {
        _dir.Dispose();
        _outside.Dispose();
    }
}
