using Formation.Errors;
using Formation.Events;
using Formation.Grains.Images;
using Formation.Images;
using Formation.Silo.Tests.Clusters;
using Orleans.Streams;

namespace Formation.Silo.Tests.Images;

/// <summary>Builds through the real grains of a 3-silo cluster: sessions, streams, the image record and catalog, node stores.</summary>
[Collection(ImageClusterCollection.Name)]
public sealed class ImageBuildClusterTests(SimClusterFixture fixture) : IDisposable
{
    private const int BlobBytes = 3 << 20;

    private readonly TestDirectory _context = new("image-context");

    private IClusterClient Client => fixture.Client;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Build_ContextInChunks_RegistersReadyImageOnThatNodeAndStreamsEveryEvent()
    {
        TestEnvironment.RequireBuilder();
        _context.Write("hello.sh", "#!/bin/sh\necho hello\n");
        File.WriteAllBytes(Path.Combine(_context.Path, "blob"), RandomBytes(BlobBytes));
        const string Formfile = """
            NAME cluster-hello
            FROM tiny
            COPY ./hello.sh /app
            COPY ./blob /data
            RUN test "$(wc -c < /data/blob)" -eq 3145728 && chmod +x /app/hello.sh
            ENTRYPOINT ["/app/hello.sh"]
            """;
        var session = await BuildSessions.OpenAsync(Client, "node-1", Formfile);
        var streamed = new List<ImageBuildEvent>();
        var subscription = await Client.GetStreamProvider(EventStreams.Provider).GetStream<ImageBuildEvent>(EventStreams.ForBuild(session.GetPrimaryKeyString()))
            .SubscribeAsync((e, _) =>
            {
                lock (streamed)
                {
                    streamed.Add(e);
                }

                return Task.CompletedTask;
            });
        var tar = await BuildSessions.TarAsync(_context.Path);
        await BuildSessions.UploadAsync(session, tar, IImageBuildGrain.MaxChunkBytes);
        await session.StartAsync(tar.Length, Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(tar)));
        var outcome = await BuildSessions.FollowAsync(session, TimeSpan.FromMinutes(2));

        Assert.True(outcome.Final.Phase == ImageBuildPhase.Succeeded, outcome.Dump());
        // The session says Succeeded only once the image is recorded: the catalog (which nothing has refreshed since)
        // already finds it by digest. It once lagged, and a delete by digest could miss a second reference.
        var byDigest = await Client.GetGrain<IImageCatalogGrain>(GrainKeys.Cluster).FindByDigestAsync(outcome.Final.Manifest!.Digest[ImageReference.DigestScheme.Length..]);
        Assert.Equal(("cluster-hello:latest", ImageBuildState.Ready), (Assert.Single(byDigest).Reference, byDigest[0].State));
        Assert.True(tar.Length > 3 * IImageBuildGrain.MaxChunkBytes);
        var manifest = outcome.Final.Manifest!;
        Assert.Equal("node-1", outcome.Final.NodeId);
        Assert.Equal("cluster-hello:latest", outcome.Final.Reference);
        Assert.Equal(BuildProgressKind.Started, outcome.Events[0].Kind);
        Assert.Equal(BuildProgressKind.Completed, outcome.Events[^1].Kind);
        Assert.Contains(outcome.Events, e => e.Kind == BuildProgressKind.StepStarted && e.Step == 4 && e.Description.StartsWith("RUN test", StringComparison.Ordinal));
        await Eventually.HoldsAsync(() => Task.FromResult(Snapshot(streamed).Count), n => n == outcome.Events.Count, TimeSpan.FromSeconds(10), "every event on the stream");
        Assert.Equal(Enumerable.Range(0, outcome.Events.Count), Snapshot(streamed).Select(e => e.Index));
        Assert.Equal(outcome.Events, Snapshot(streamed).Select(e => e.Progress));
        await subscription.UnsubscribeAsync();

        var status = await Client.GetGrain<IImageGrain>("cluster-hello").GetStatusAsync();
        Assert.Equal(("cluster-hello:latest", ImageBuildState.Ready, manifest.Digest, manifest.RootFilesystem.SizeBytes, (string?)null, (string?)null),
            (status.Reference, status.State, status.Digest, status.SizeBytes, status.Error, status.BuildSession));
        Assert.Equal(["node-1"], status.Nodes);
        Assert.Equal(manifest.Digest, (await Client.GetGrain<IImageGrain>("cluster-hello:latest").GetManifestAsync())!.Digest);
        Assert.Equal("cluster-hello:latest", (await Client.GetGrain<IImageGrain>(manifest.Digest).GetStatusAsync()).Reference);
        Assert.Equal("cluster-hello:latest", (await Client.GetGrain<IImageGrain>(ImageReference.Short(manifest.Digest)).GetStatusAsync()).Reference);
        Assert.Contains(await Client.GetGrain<IImageCatalogGrain>(GrainKeys.Cluster).ListAsync(), i => i.Reference == "cluster-hello:latest" && i.State == ImageBuildState.Ready);
        Assert.Equal(manifest.Digest, (await ImageClusterCollection.StoreOf(fixture, "node-1").GetAsync("cluster-hello:latest", Ct))!.Manifest.Digest);
        Assert.Null(await ImageClusterCollection.StoreOf(fixture, "node-0").GetAsync("cluster-hello:latest", Ct));
    }

    [Fact]
    public async Task Build_SameReferenceOnAnotherNode_MovesTheImageThereAndKeepsTheOldCopyUntilDeleted()
    {
        TestEnvironment.RequireBuilder();
        const string Formfile = "NAME cluster-moved\nFROM tiny\nRUN echo moved > /moved\n";
        var first = await BuildSessions.BuildAsync(Client, "node-0", Formfile);
        var second = await BuildSessions.BuildAsync(Client, "node-2", Formfile);

        Assert.True(second.Final.Phase == ImageBuildPhase.Succeeded, second.Dump());
        var status = await Client.GetGrain<IImageGrain>("cluster-moved").GetStatusAsync();
        if (first.Final.Manifest!.Digest == second.Final.Manifest!.Digest)
        {
            Assert.Equal(["node-0", "node-2"], status.Nodes); // identical bytes: both nodes hold the image
        }
        else
        {
            Assert.Equal(["node-2"], status.Nodes); // a new version: it lives where it was built
            Assert.Equal(second.Final.Manifest.Digest, status.Digest);
            Assert.NotNull(await ImageClusterCollection.StoreOf(fixture, "node-0").GetAsync(first.Final.Manifest.Digest, Ct));
        }

        var deleted = await Client.GetGrain<IImageGrain>("cluster-moved").DeleteAsync();

        Assert.Equal(["node-0", "node-2"], deleted.Nodes);
        Assert.Null(await ImageClusterCollection.StoreOf(fixture, "node-0").GetAsync(first.Final.Manifest.Digest, Ct));
        Assert.Null(await ImageClusterCollection.StoreOf(fixture, "node-2").GetAsync(second.Final.Manifest.Digest, Ct));
        Assert.Null(await ImageClusterCollection.StoreOf(fixture, "node-0").GetAsync("cluster-moved:latest", Ct));
    }

    [Fact]
    public async Task Build_FailingRunStep_ReportsStepExitCodeAndTailAndRegistersNothing()
    {
        TestEnvironment.RequireBuilder();
        const string Formfile = "NAME cluster-fail\nFROM tiny\nRUN echo first\nRUN echo doomed; echo to-stderr >&2; exit 3\n";

        var outcome = await BuildSessions.BuildAsync(Client, "node-2", Formfile);

        Assert.True(outcome.Final.Phase == ImageBuildPhase.Failed, outcome.Dump());
        var failure = outcome.Final.Failure!;
        Assert.Equal((3, 4, 3), (failure.Step, failure.Line, failure.ExitCode!.Value));
        Assert.Contains("doomed", failure.OutputTail);
        Assert.Contains("to-stderr", failure.OutputTail);
        Assert.Equal(BuildProgressKind.Failed, outcome.Events[^1].Kind);
        var status = await Client.GetGrain<IImageGrain>("cluster-fail").GetStatusAsync();
        Assert.Equal(ImageBuildState.Failed, status.State);
        Assert.Null(status.Digest);
        Assert.Empty(status.Nodes);
        Assert.Contains("exit code 3", status.Error);
        Assert.Null(await Client.GetGrain<IImageGrain>("cluster-fail").GetManifestAsync());
        Assert.DoesNotContain(await ImageClusterCollection.StoreOf(fixture, "node-2").ListAsync(Ct), e => e.Manifest.Name == "cluster-fail");
    }

    [Fact]
    public async Task Cancel_WhileAStepRuns_StopsItAndLeavesNothingRegistered()
    {
        TestEnvironment.RequireBuilder();
        var sleep = Random.Shared.Next(100_000, 999_999);
        var session = await BuildSessions.OpenAsync(Client, "node-0", $"NAME cluster-cancel\nFROM tiny\nRUN echo started; sleep {sleep}\n");
        var tar = await BuildSessions.TarAsync(null);
        await BuildSessions.UploadAsync(session, tar, IImageBuildGrain.MaxChunkBytes);
        await session.StartAsync(tar.Length, Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(tar)));
        await Eventually.HoldsAsync(() => session.WatchAsync(0, TimeSpan.FromSeconds(1)), u => u.Events.Any(e => e.Message == "started"), TimeSpan.FromSeconds(60), "the step to start");

        var cancelled = await session.CancelAsync();

        Assert.Equal(ImageBuildPhase.Cancelled, cancelled.Phase);
        Assert.Equal(ImageBuildState.Unknown, (await Client.GetGrain<IImageGrain>("cluster-cancel").GetStatusAsync()).State);
        Assert.DoesNotContain(await Client.GetGrain<IImageCatalogGrain>(GrainKeys.Cluster).ListAsync(), i => i.Reference == "cluster-cancel:latest");
        Assert.DoesNotContain(await ImageClusterCollection.StoreOf(fixture, "node-0").ListAsync(Ct), e => e.Manifest.Name == "cluster-cancel");
        await Eventually.HoldsAsync(() => Task.FromResult(ProcessesRunning($"sleep {sleep}")), n => n == 0, TimeSpan.FromSeconds(10), "the step's process to be gone");
    }

    [Fact]
    public async Task Open_WhileAnotherBuildOfTheImageIsOpen_IsRefusedUntilThatOneEnds()
    {
        const string Formfile = "NAME cluster-busy\nFROM tiny\n";
        var first = await BuildSessions.OpenAsync(Client, "node-1", Formfile);
        Assert.Equal(ImageBuildState.Building, (await Client.GetGrain<IImageGrain>("cluster-busy").GetStatusAsync()).State);

        var refused = await Assert.ThrowsAsync<FormationException>(() => BuildSessions.OpenAsync(Client, "node-2", Formfile));
        Assert.Equal(ErrorKind.Conflict, refused.Kind);
        Assert.Contains("already being built on node node-1", refused.Message);

        await first.CancelAsync();
        var second = await BuildSessions.OpenAsync(Client, "node-2", Formfile);
        await second.CancelAsync();
        Assert.Equal(ImageBuildState.Unknown, (await Client.GetGrain<IImageGrain>("cluster-busy").GetStatusAsync()).State);
    }

    [Fact]
    public async Task Upload_OutOfOrderOrDamaged_IsRefusedAndReleasesTheImage()
    {
        var session = await BuildSessions.OpenAsync(Client, "node-0", "NAME cluster-damaged\nFROM tiny\n");

        var gap = await Assert.ThrowsAsync<FormationException>(() => session.UploadAsync(5, new byte[10]));
        Assert.Contains("send the chunks in order", gap.Message);
        var tooBig = await Assert.ThrowsAsync<FormationException>(() => session.UploadAsync(0, new byte[IImageBuildGrain.MaxChunkBytes + 1]));
        Assert.Contains("at most", tooBig.Message);
        Assert.Equal(10, await session.UploadAsync(0, new byte[10]));
        var damaged = await Assert.ThrowsAsync<FormationException>(() => session.StartAsync(10, new string('0', 64)));

        Assert.Equal(ErrorKind.InvalidArgument, damaged.Kind);
        Assert.Contains("arrived damaged", damaged.Message);
        Assert.Equal(ImageBuildPhase.Cancelled, (await session.WatchAsync(0, TimeSpan.Zero)).Phase);
        Assert.Equal(ImageBuildState.Unknown, (await Client.GetGrain<IImageGrain>("cluster-damaged").GetStatusAsync()).State);
    }

    [Fact]
    public async Task Open_InvalidFormfile_IsRefusedWithLineAndColumn()
    {
        var session = Client.GetGrain<IImageBuildGrain>(ImageKeys.NewBuildSession("node-0"));

        var error = await Assert.ThrowsAsync<FormationException>(() => session.OpenAsync(new ImageBuildRequest("NAME x\nFROM tiny\nRUNN echo\n", "web/Formfile", null)));

        Assert.Equal(ErrorKind.InvalidArgument, error.Kind);
        Assert.Contains("web/Formfile:3:1: error FF001", error.Message);
        Assert.Contains("RUN", error.Message);
    }

    [Fact]
    public async Task Status_BuildWhoseSessionIsGone_SettlesAsFailed()
    {
        await Client.GetGrain<IImageRecordGrain>("cluster-ghost:latest").BeginBuildAsync("node-0/build-never-opened");

        var status = await Client.GetGrain<IImageGrain>("cluster-ghost").GetStatusAsync();

        Assert.Equal(ImageBuildState.Failed, status.State);
        Assert.Contains("interrupted: node node-0 restarted", status.Error);
        Assert.Null(status.BuildSession);
    }

    private static List<ImageBuildEvent> Snapshot(List<ImageBuildEvent> events)
    {
        lock (events)
        {
            return [.. events];
        }
    }

    private static byte[] RandomBytes(int count)
    {
        var bytes = new byte[count];
        Random.Shared.NextBytes(bytes);
        return bytes;
    }

    private static int ProcessesRunning(string commandLine) =>
        Directory.EnumerateDirectories("/proc").Count(d =>
        {
            try
            {
                return Path.GetFileName(d).All(char.IsAsciiDigit) && File.ReadAllText(Path.Combine(d, "cmdline")).Replace('\0', ' ').Trim() == commandLine;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                return false;
            }
        });

    public void Dispose() => _context.Dispose();
}
