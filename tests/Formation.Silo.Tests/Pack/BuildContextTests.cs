using System.Diagnostics;
using Formation.Formfiles;
using Formation.Silo.Pack;

namespace Formation.Silo.Tests.Pack;

public class BuildContextTests : IDisposable
{
    private readonly TestDirectory _context = new("context");

    private static CopyInstruction Copy(params string[] sources) => new(new FormfileLocation(1, 1), [.. sources], "/app");

    [Fact]
    public void Resolve_FileSource_LandsUnderItsName()
    {
        _context.Write("src/hello.py", "print(1)");
        var entries = BuildContext.FromDirectory(_context.Path).Resolve(Copy("src/hello.py"));
        var entry = Assert.Single(entries);
        Assert.Equal(("hello.py", ContextEntryKind.File), (entry.TargetPath, entry.Kind));
    }

    [Fact]
    public void Resolve_DirectorySource_CopiesItsContentsWithSubdirectoriesAndInnerSymlinks()
    {
        _context.Write("app/server.py", "x");
        _context.Write("app/lib/util.py", "y");
        File.CreateSymbolicLink(Path.Combine(_context.Path, "app", "main.py"), "server.py");
        var entries = BuildContext.FromDirectory(_context.Path).Resolve(Copy("app"));
        Assert.Equal(["lib", "lib/util.py", "main.py", "server.py"], entries.Select(e => e.TargetPath));
        Assert.Equal(ContextEntryKind.Symlink, entries.Single(e => e.TargetPath == "main.py").Kind);
        Assert.Equal("server.py", entries.Single(e => e.TargetPath == "main.py").LinkTarget);
    }

    [Theory]
    [InlineData("/etc/passwd")]
    [InlineData("../../../../etc/passwd")]
    public void Resolve_InnerSymlinkPointingOutside_IsRejected(string target)
    {
        _context.Write("app/ok.txt", "x");
        File.CreateSymbolicLink(Path.Combine(_context.Path, "app", "leak"), target);
        var ex = Assert.Throws<BuildStepException>(() => BuildContext.FromDirectory(_context.Path).Resolve(Copy("app")));
        Assert.Contains("outside the build context", ex.Message);
    }

    [Fact]
    public void Resolve_SourceThatIsASymlinkOutside_IsRejected()
    {
        File.CreateSymbolicLink(Path.Combine(_context.Path, "etc"), "/etc");
        var ex = Assert.Throws<BuildStepException>(() => BuildContext.FromDirectory(_context.Path).Resolve(Copy("etc")));
        Assert.Contains("points outside the build context", ex.Message);
    }

    [Fact]
    public void Resolve_MissingSource_SaysSo()
    {
        var ex = Assert.Throws<BuildStepException>(() => BuildContext.FromDirectory(_context.Path).Resolve(Copy("nope.txt")));
        Assert.Contains("'nope.txt' does not exist in the build context", ex.Message);
    }

    [Fact]
    public async Task Resolve_Fifo_IsRejectedWithoutBlocking()
    {
        using var mkfifo = Process.Start("mkfifo", [Path.Combine(_context.Path, "pipe")])!;
        await mkfifo.WaitForExitAsync(TestContext.Current.CancellationToken);
        var ex = Assert.Throws<BuildStepException>(() => BuildContext.FromDirectory(_context.Path).Resolve(Copy(".")));
        Assert.Contains("not a regular file", ex.Message);
    }

    [Fact]
    public async Task DigestAsync_ChangesWithContentAndMode_NotWithMtime()
    {
        var file = _context.Write("a.sh", "echo 1");
        var context = BuildContext.FromDirectory(_context.Path);
        var original = await BuildContext.DigestAsync(context.Resolve(Copy("a.sh")), TestContext.Current.CancellationToken);
        File.SetLastWriteTimeUtc(file, DateTime.UtcNow.AddDays(-3));
        Assert.Equal(original, await BuildContext.DigestAsync(context.Resolve(Copy("a.sh")), TestContext.Current.CancellationToken));
        File.SetUnixFileMode(file, (UnixFileMode)0b111_101_101);
        var chmodded = await BuildContext.DigestAsync(context.Resolve(Copy("a.sh")), TestContext.Current.CancellationToken);
        Assert.NotEqual(original, chmodded);
        File.WriteAllText(file, "echo 2");
        File.SetUnixFileMode(file, (UnixFileMode)0b111_101_101);
        Assert.NotEqual(chmodded, await BuildContext.DigestAsync(context.Resolve(Copy("a.sh")), TestContext.Current.CancellationToken));
    }

    public void Dispose() => _context.Dispose();
}
