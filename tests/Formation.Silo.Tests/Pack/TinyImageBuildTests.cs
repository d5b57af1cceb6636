using System.Diagnostics;
using Formation.Images;
using Formation.Silo.Pack;

namespace Formation.Silo.Tests.Pack;

public class TinyImageBuildTests : IDisposable
{
    private const string Formfile = """
        NAME tiny-hello
        FROM tiny
        COPY ./hello.sh /app
        ENV GREETING="hello from formation"
        RUN chmod +x /app/hello.sh && echo built > /app/built.txt
        WORKDIR /app
        ENTRYPOINT ["/app/hello.sh"]
        EXPOSE 8080
        """;

    private readonly TestDirectory _data = new("pack-data");
    private readonly TestDirectory _context = new("pack-context");
    private readonly ImageStore _store;
    private readonly ImageBuilder _builder;

    public TinyImageBuildTests()
    {
        var options = new PackOptions { DataDirectory = _data.Path };
        _store = new ImageStore(options);
        _builder = new ImageBuilder(options, _store);
        _context.Write("hello.sh", "#!/bin/sh\necho \"$GREETING from $(pwd)\"\n");
    }

    [Fact]
    public async Task BuildAsync_TinyWithCopyAndEntrypoint_RegistersInitramfsImage()
    {
        TestEnvironment.RequireBuilder();
        var progress = new RecordingProgress();

        var manifest = await _builder.BuildAsync(new BuildRequest(Formfile, ContextDirectory: _context.Path), progress, TestContext.Current.CancellationToken);

        Assert.StartsWith("sha256:", manifest.Digest);
        Assert.Equal(ImageStore.ComputeDigest(manifest), manifest.Digest);
        Assert.Equal(ImageArtifactKind.Initramfs, manifest.RootFilesystem.Kind);
        Assert.Equal("console=ttyS0", manifest.KernelCommandLine);
        Assert.Equal(["/app/hello.sh"], manifest.Entrypoint!.Argv);
        Assert.Equal("/app", manifest.Workdir);
        Assert.Equal([new Formation.Formfiles.ExposedPort(8080, Formation.Formfiles.PortProtocol.Tcp)], manifest.ExposedPorts);
        Assert.Equal(7, progress.Events.Max(e => e.StepCount)); // base, COPY, ENV, RUN, WORKDIR, config, rootfs
        Assert.Contains(progress.Events, e => e.Kind == BuildProgressKind.Completed);

        var entry = await _store.GetAsync("tiny-hello", TestContext.Current.CancellationToken);
        Assert.NotNull(entry);
        Assert.Equal(manifest.Digest, entry.Manifest.Digest);
        Assert.Equal(["tiny-hello"], entry.Tags);
        var files = await ListCpioAsync(entry.RootFilesystemPath);
        Assert.Contains("app/hello.sh", files);
        Assert.Contains("app/built.txt", files);
        Assert.Contains("init", files);
        Assert.Contains("usr/lib/formation/init", files);
        Assert.Contains("etc/formation/entrypoint", files);
        Assert.Contains("dev/console", files);
    }

    [Fact]
    public async Task BuildAsync_UnchangedRebuild_DoesNoWorkAndKeepsDigest()
    {
        TestEnvironment.RequireBuilder();
        var request = new BuildRequest(Formfile, ContextDirectory: _context.Path);
        var first = await _builder.BuildAsync(request, null, TestContext.Current.CancellationToken);
        var progress = new RecordingProgress();

        var second = await _builder.BuildAsync(request, progress, TestContext.Current.CancellationToken);

        Assert.Equal(first.Digest, second.Digest);
        Assert.Empty(progress.ExecutedSteps);
        Assert.Equal([1, 2, 4, 6, 7], progress.CachedSteps); // base, COPY, RUN, config, rootfs; ENV/WORKDIR are metadata
    }

    [Fact]
    public async Task BuildAsync_ChangedLastRun_RebuildsOnlyFromThatStep()
    {
        TestEnvironment.RequireBuilder();
        await _builder.BuildAsync(new BuildRequest(Formfile, ContextDirectory: _context.Path), null, TestContext.Current.CancellationToken);
        var changed = Formfile.Replace("echo built > /app/built.txt", "echo rebuilt > /app/built.txt");
        var progress = new RecordingProgress();

        var manifest = await _builder.BuildAsync(new BuildRequest(changed, ContextDirectory: _context.Path), progress, TestContext.Current.CancellationToken);

        Assert.Equal([4, 6, 7], progress.ExecutedSteps); // the RUN layer, then config and rootfs on top of it
        Assert.Equal([1, 2], progress.CachedSteps);
        Assert.Equal(2, (await _store.ListAsync(TestContext.Current.CancellationToken)).Count);
        Assert.Equal(manifest.Digest, (await _store.GetAsync("tiny-hello", TestContext.Current.CancellationToken))!.Manifest.Digest);
    }

    [Fact]
    public async Task BuildAsync_ChangedCopiedFile_RebuildsFromTheCopy()
    {
        TestEnvironment.RequireBuilder();
        var request = new BuildRequest(Formfile, ContextDirectory: _context.Path);
        await _builder.BuildAsync(request, null, TestContext.Current.CancellationToken);
        _context.Write("hello.sh", "#!/bin/sh\necho changed\n");
        var progress = new RecordingProgress();

        await _builder.BuildAsync(request, progress, TestContext.Current.CancellationToken);

        Assert.Equal([2, 4, 6, 7], progress.ExecutedSteps);
    }

    [Fact]
    public async Task BuildAsync_FailingRun_ReportsStepExitCodeAndOutputAndRegistersNothing()
    {
        TestEnvironment.RequireBuilder();
        var formfile = "NAME broken\nFROM tiny\nRUN echo first-line\nRUN echo about to fail; echo details >&2; exit 3\nRUN echo never\n";
        var progress = new RecordingProgress();

        var ex = await Assert.ThrowsAsync<ImageBuildException>(() =>
            _builder.BuildAsync(new BuildRequest(formfile), progress, TestContext.Current.CancellationToken));

        Assert.Equal(3, ex.Failure.Step);
        Assert.Equal(4, ex.Failure.Line);
        Assert.Equal(3, ex.Failure.ExitCode);
        Assert.Contains("about to fail", ex.Failure.OutputTail);
        Assert.Contains("details", ex.Failure.OutputTail);
        Assert.Contains("RUN echo about to fail", ex.Failure.Description);
        Assert.Contains(progress.Events, e => e.Kind == BuildProgressKind.Failed);
        Assert.Empty(await _store.ListAsync(TestContext.Current.CancellationToken));
        Assert.Null(await _store.GetAsync("broken", TestContext.Current.CancellationToken));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(_data.Path, "pack", "tmp")));
        Assert.Equal(2, Directory.EnumerateDirectories(Path.Combine(_data.Path, "pack", "layers")).Count()); // base + first RUN only
    }

    [Fact]
    public async Task BuildAsync_RunStep_IsIsolatedFromHostNetworkAndProcesses()
    {
        TestEnvironment.RequireBuilder();

        // A file only the host has, at the top of its root (where no mount of the step's own can hide it) under a name
        // no image holds: a step that could see the host's file system, directly or through PID 1's root, finds it.
        var marker = $"/formation-host-only-{Guid.NewGuid():N}";
        await File.WriteAllTextAsync(marker, "the host's file system", TestContext.Current.CancellationToken);
        try
        {
            await BuildIsolatedAsync(marker);
        }
        finally
        {
            File.Delete(marker);
        }
    }

    private async Task BuildIsolatedAsync(string marker)
    {
        var formfile = $$"""
            NAME isolated
            FROM tiny
            RUN test "$$" = 1 || { echo "not PID 1: $$"; exit 10; }
            RUN test "$(grep -c : /proc/net/dev)" = 1 || { cat /proc/net/dev; exit 11; }
            RUN test ! -e {{marker}} && test ! -e /proc/1/root{{marker}} || { echo "host file visible: {{marker}}"; exit 12; }
            RUN test "$(ps -o pid | wc -l)" -le 6 || { ps; exit 13; }
            RUN ! mount -t tmpfs none /mnt 2>/dev/null || exit 14
            RUN ! mknod /tmp/disk b 254 0 2>/dev/null || exit 15
            RUN ! chroot / true 2>/dev/null || exit 16
            RUN cd .. && test "$(pwd)" = / && test -x /bin/busybox || exit 17
            """;

        var manifest = await _builder.BuildAsync(new BuildRequest(formfile), null, TestContext.Current.CancellationToken);

        Assert.Equal("isolated", manifest.Name);
    }

    [Fact]
    public async Task BuildAsync_ContextAsTarStream_BuildsSameImageAsDirectory()
    {
        TestEnvironment.RequireBuilder();
        var fromDirectory = await _builder.BuildAsync(new BuildRequest(Formfile, ContextDirectory: _context.Path), null, TestContext.Current.CancellationToken);
        using var tar = new MemoryStream();
        await System.Formats.Tar.TarFile.CreateFromDirectoryAsync(_context.Path, tar, includeBaseDirectory: false, TestContext.Current.CancellationToken);
        tar.Position = 0;
        var progress = new RecordingProgress();

        var fromTar = await _builder.BuildAsync(new BuildRequest(Formfile, ContextTar: tar, Tag: "from-tar"), progress, TestContext.Current.CancellationToken);

        Assert.Equal(fromDirectory.Digest, fromTar.Digest);
        Assert.Empty(progress.ExecutedSteps);
        Assert.Equal(["from-tar", "tiny-hello"], (await _store.GetAsync("from-tar", TestContext.Current.CancellationToken))!.Tags);
    }

    [Fact]
    public async Task BuildAsync_CopyOfSymlinkLeavingContext_FailsAtTheCopyStep()
    {
        TestEnvironment.RequireBuilder();
        Directory.CreateDirectory(Path.Combine(_context.Path, "app"));
        File.CreateSymbolicLink(Path.Combine(_context.Path, "app", "passwd"), "/etc/passwd");

        var ex = await Assert.ThrowsAsync<ImageBuildException>(() => _builder.BuildAsync(
            new BuildRequest("NAME leak\nFROM tiny\nCOPY app /app\n", ContextDirectory: _context.Path), null, TestContext.Current.CancellationToken));

        Assert.Equal(2, ex.Failure.Step);
        Assert.Contains("outside the build context", ex.Failure.Message);
        Assert.Empty(await _store.ListAsync(TestContext.Current.CancellationToken));
    }

    internal static async Task<IReadOnlyList<string>> ListCpioAsync(string path)
    {
        using var process = Process.Start(new ProcessStartInfo("cpio", ["-it", "--quiet", "-F", path]) { RedirectStandardOutput = true })!;
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    public void Dispose()
    {
        _data.Dispose();
        _context.Dispose();
    }
}
