using Formation.Images;
using Formation.Silo.Pack;

namespace Formation.Silo.Tests.Pack;

/// <summary>Builder behaviour that needs no root: input validation happens before any work.</summary>
public class ImageBuilderTests : IDisposable
{
    private readonly TestDirectory _data = new("builder");

    [Fact]
    public async Task BuildAsync_InvalidFormfile_FailsWithDiagnosticsAndTouchesNothing()
    {
        var builder = new ImageBuilder(new PackOptions { DataDirectory = _data.Path }, new ImageStore(new PackOptions { DataDirectory = _data.Path }));

        var ex = await Assert.ThrowsAsync<ImageBuildException>(() =>
            builder.BuildAsync(new BuildRequest("NAME x\nRUNN true\nVCPU 500", "dir/Formfile"), null, TestContext.Current.CancellationToken));

        Assert.Equal(0, ex.Failure.Step);
        Assert.Equal(2, ex.Failure.Line);
        Assert.Contains("2 error(s)", ex.Failure.Message);
        Assert.StartsWith("dir/Formfile:2:1: error FF001", ex.Failure.OutputTail[0]);
        Assert.StartsWith("dir/Formfile:3:6: error FF003", ex.Failure.OutputTail[1]);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_data.Path));
    }

    [Fact]
    public async Task BuildAsync_InvalidTag_FailsBeforeBuilding()
    {
        var builder = new ImageBuilder(new PackOptions { DataDirectory = _data.Path }, new ImageStore(new PackOptions { DataDirectory = _data.Path }));
        var ex = await Assert.ThrowsAsync<ImageBuildException>(() =>
            builder.BuildAsync(new BuildRequest("NAME x\nFROM tiny", Tag: "bad tag"), null, TestContext.Current.CancellationToken));
        Assert.Contains("not a valid image tag", ex.Failure.Message);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_data.Path));
    }

    [Fact]
    public void GuestKernelLocator_EnvironmentVariableDirectory_ResolvesItsBzImage()
    {
        var dir = Path.Combine(_data.Path, "k1");
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "bzImage"), "kernel");
        File.CreateSymbolicLink(Path.Combine(_data.Path, "current"), "k1");

        var resolved = GuestKernelLocator.TryResolve(new PackOptions { GuestKernelPath = Path.Combine(_data.Path, "current") });

        Assert.Equal(Path.Combine(HostPathsForTest(_data.Path), "k1", "bzImage"), resolved);
        Assert.Null(GuestKernelLocator.TryResolve(new PackOptions { GuestKernelPath = Path.Combine(_data.Path, "missing") }));
    }

    private static string HostPathsForTest(string path) => new DirectoryInfo(path).ResolveLinkTarget(true)?.FullName ?? path;

    public void Dispose() => _data.Dispose();
}
