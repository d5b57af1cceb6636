using System.Text.Json;

namespace Formation.Cli.Tests.Pack;

/// <summary><c>form pack build</c> and <c>form image</c> against a real silo process (embedded mode, sim driver).</summary>
public sealed class PackBuildEndToEndTests(RunningSiloFixture silo) : IClassFixture<RunningSiloFixture>, IDisposable
{
    private readonly TestDirectory _dir = new("build");

    private string Refs => Path.Combine(silo.Silo.Options.DataDirectory, "images", "refs");

    [Fact]
    public async Task Build_TinyExample_PrintsEveryStepAndTheDigest_RebuildIsAllCached()
    {
        TestEnvironment.RequireBuilder();

        var first = await silo.FormAsync("pack", "build", Examples.TinyHello, "--tag", "cli-hello:first");
        var again = await silo.FormAsync("pack", "build", Examples.TinyHello, "--tag", "cli-hello:first");

        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.Contains($"Building cli-hello:first on node {silo.NodeId}", first.Out);
        Assert.Contains("Sent the build context: 2 file(s)", first.Out);
        Assert.Contains("build tiny-hello from tiny (7 steps)", first.Out);
        Assert.Matches(@"\[2/7\] COPY hello.sh /app: (ran in \d+\.\d s|cached)", first.Out);
        Assert.Contains("[3/7] ENV GREETING=hello from formation: recorded", first.Out);
        Assert.Matches(@"\[7/7\] assemble initramfs: (ran in \d+\.\d s|cached)", first.Out);
        var digest = System.Text.RegularExpressions.Regex.Match(first.Out, @"Built cli-hello:first (sha256:[0-9a-f]{64}) on node " + silo.NodeId).Groups[1].Value;
        Assert.NotEmpty(digest);
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Contains("[4/7] RUN chmod +x /app/hello.sh: cached", again.Out);
        Assert.Contains($"Built cli-hello:first {digest} on node {silo.NodeId} (0 of 7 steps ran", again.Out);
        Assert.Equal(digest, File.ReadAllText(Path.Combine(Refs, "cli-hello:first")).Trim());
    }

    [Fact]
    public async Task ImageListAndShow_AfterABuild_ShowStateDigestSizeAndNode_InTablesAndJson()
    {
        TestEnvironment.RequireBuilder();
        var build = await silo.FormAsync("pack", "build", Examples.TinyHello, "--tag", "cli-listed", "--json");
        Assert.True(build.ExitCode == 0, build.ToString());
        var digest = JsonDocument.Parse(build.Out).RootElement.GetProperty("digest").GetString()!;

        var list = await silo.FormAsync("image", "list");
        var listJson = await silo.FormAsync("image", "list", "--json");
        var show = await silo.FormAsync("image", "show", "cli-listed");
        var byDigest = await silo.FormAsync("image", "show", digest[7..19], "--json");

        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.Matches($@"cli-listed:latest\s+Ready\s+{digest[7..19]}\s+[\d.]+ (KiB|MiB)\s+{silo.NodeId}\s", list.Out);
        var row = JsonDocument.Parse(listJson.Out).RootElement.EnumerateArray().Single(i => i.GetProperty("reference").GetString() == "cli-listed:latest");
        Assert.Equal("ready", row.GetProperty("state").GetString());
        Assert.Equal(digest, row.GetProperty("digest").GetString());
        Assert.Equal([silo.NodeId], row.GetProperty("nodes").EnumerateArray().Select(n => n.GetString()));
        Assert.True(show.ExitCode == 0, show.ToString());
        Assert.Contains($"Digest           {digest}", show.Out);
        Assert.Contains("Entrypoint       /app/hello.sh", show.Out);
        Assert.Contains("Resources        1 vCPU, 128 MiB memory", show.Out);
        Assert.True(byDigest.ExitCode == 0, byDigest.ToString());
        Assert.Equal(digest, JsonDocument.Parse(byDigest.Out).RootElement.GetProperty("manifest").GetProperty("digest").GetString());
    }

    [Fact]
    public async Task ImageDelete_WhileAVmUsesIt_IsRefused_AfterTheVmIsDeleted_RemovesIt()
    {
        TestEnvironment.RequireBuilder();
        Assert.Equal(0, (await silo.FormAsync("pack", "build", Examples.TinyHello, "--tag", "cli-used:1")).ExitCode);
        var vm = await silo.FormAsync("vm", "create", "--name", "cli-image-user", "--vcpus", "1", "--memory", "128", "--disk", "1", "--image", "cli-used:1");
        Assert.True(vm.ExitCode == 0, vm.ToString());

        var refused = await silo.FormAsync("image", "delete", "cli-used:1");

        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("Image 'cli-used:1' is used by VM(s) cli-image-user; delete them first", refused.Error);
        Assert.True(File.Exists(Path.Combine(Refs, "cli-used:1")));

        Assert.Equal(0, (await silo.FormAsync("vm", "delete", "cli-image-user")).ExitCode);
        var deleted = await silo.FormAsync("image", "delete", "cli-used:1");
        Assert.True(deleted.ExitCode == 0, deleted.ToString());
        Assert.Matches($@"Deleted image cli-used:1 \(sha256:[0-9a-f]{{64}}\) from node\(s\) {silo.NodeId}\.", deleted.Out);
        Assert.False(File.Exists(Path.Combine(Refs, "cli-used:1")));
        Assert.DoesNotContain("cli-used:1", (await silo.FormAsync("image", "list")).Out);
        var gone = await silo.FormAsync("image", "show", "cli-used:1");
        Assert.Equal(1, gone.ExitCode);
        Assert.Contains("No image 'cli-used:1'", gone.Error);
    }

    [Fact]
    public async Task Build_FailingRunStep_ReportsStepLineExitCodeAndOutputTail_RegistersNoImage()
    {
        TestEnvironment.RequireBuilder();
        _dir.Write("Formfile", "NAME cli-fails\nFROM tiny\nRUN echo fine\nRUN echo doomed; echo to-stderr >&2; exit 3\nENTRYPOINT [\"/bin/sh\"]\n");

        var run = await silo.FormAsync("pack", "build", _dir.Path);

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("[3/5] RUN echo doomed; echo to-stderr >&2; exit 3: running", run.Out);
        Assert.Contains("form: build of cli-fails:latest failed at step 3/5 'RUN echo doomed; echo to-stderr >&2; exit 3' (Formfile line 4), exit code 3", run.Error);
        Assert.Contains("  | doomed", run.Error);
        Assert.Contains("  | to-stderr", run.Error);
        Assert.Contains("Nothing was registered.", run.Error);
        Assert.False(File.Exists(Path.Combine(Refs, "cli-fails:latest")));
        var row = JsonDocument.Parse((await silo.FormAsync("image", "list", "--json")).Out).RootElement.EnumerateArray()
            .Single(i => i.GetProperty("reference").GetString() == "cli-fails:latest");
        Assert.Equal("failed", row.GetProperty("state").GetString());
        Assert.Equal(JsonValueKind.Null, row.GetProperty("digest").ValueKind);
        Assert.Empty(row.GetProperty("nodes").EnumerateArray());
    }

    [Fact]
    public async Task Build_Context_LeavesOutFormignoreMatchesAndSymlinksOutsideTheDirectory()
    {
        TestEnvironment.RequireBuilder();
        _dir.Write("Formfile", "NAME cli-context\nFROM tiny\nCOPY . /app\nRUN test -f /app/keep.txt && test ! -e /app/debug.log && test ! -e /app/passwd && test -L /app/alias\n");
        _dir.Write("keep.txt", "keep");
        _dir.Write("debug.log", "noise");
        _dir.Write(".formignore", "*.log\n");
        File.CreateSymbolicLink(Path.Combine(_dir.Path, "passwd"), "/etc/passwd");
        File.CreateSymbolicLink(Path.Combine(_dir.Path, "alias"), "keep.txt");

        var run = await silo.FormAsync("pack", "build", _dir.Path);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("note: left out of the context: passwd: a symlink to '/etc/passwd', outside the context", run.Out);
        Assert.Contains("Sent the build context: 3 file(s)", run.Out); // Formfile, keep.txt, .formignore
    }

    [Fact]
    public async Task Build_InvalidFormfile_FailsBeforeContactingAnySilo()
    {
        _dir.Write("Formfile", "NAME broken\nFROM tiny\nMEM lots\n");

        var run = await FormRun.InProcessAsync("pack", "build", _dir.Path, "--gateway", "127.0.0.1:1");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains($"{Path.Join(_dir.Path, "Formfile")}:3:5: error FF003", run.Error);
        Assert.Contains("nothing was built", run.Error);
    }

    [Fact]
    public async Task Build_UnknownNode_SaysWhichNodesThereAre()
    {
        var run = await silo.FormAsync("pack", "build", Examples.TinyHello, "--node", "no-such-node");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("No node 'no-such-node'. `form node list` shows the nodes.", run.Error);
    }

    [Fact]
    public async Task Build_Interrupted_CancelsTheBuildOnTheNodeAndRegistersNothing()
    {
        TestEnvironment.RequireBuilder();
        var sleep = Random.Shared.Next(100_000, 999_999);
        _dir.Write("Formfile", $"NAME cli-interrupted\nFROM tiny\nRUN echo started; sleep {sleep}\n");

        var run = await FormProcess.RunUntilAsync(
            ["pack", "build", _dir.Path, "--gateway", silo.Silo.Gateway], "      | started", FormProcess.SigTerm, TimeSpan.FromSeconds(60));

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("Cancelling the build...", run.Out);
        Assert.Contains("form: build of cli-interrupted:latest cancelled; nothing was registered.", run.Error);
        Assert.DoesNotContain("cli-interrupted", (await silo.FormAsync("image", "list")).Out);
        Assert.False(File.Exists(Path.Combine(Refs, "cli-interrupted:latest")));
        Assert.DoesNotContain(Directory.EnumerateDirectories("/proc"), d => CommandLine(d) == $"sleep {sleep}");
    }

    private static string CommandLine(string procDirectory)
    {
        try
        {
            return File.ReadAllText(Path.Combine(procDirectory, "cmdline")).Replace('\0', ' ').Trim();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return "";
        }
    }

    public void Dispose() => _dir.Dispose();
}
