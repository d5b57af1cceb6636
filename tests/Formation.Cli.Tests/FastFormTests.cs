using System.Net.Sockets;
using System.Text.RegularExpressions;
using Formation.LocalApi;
using Formation.Testing;

namespace Formation.Cli.Tests;

/// <summary>
/// form-fast (Cli.Fast, the front end NativeAOT compiles) against the full CLI on the same real silo and the same
/// cases: the same exit codes and the same text, whether the front end answers itself or hands the command line over.
/// Cases it must answer itself run with <c>FORM_FULL</c> pointing nowhere, so a hand-over would fail them.
/// FORM_FAST_BIN=artifacts/form/form-fast runs the same cases against the NativeAOT build.
/// </summary>
public sealed partial class FastFormTests(RunningSiloFixture silo) : IClassFixture<RunningSiloFixture>
{
    private static readonly Dictionary<string, string> NativeOnly = new() { ["FORM_FULL"] = "/nonexistent/form" };

    private static readonly Dictionary<string, string> WithFull = new() { ["FORM_FULL"] = FormProcess.Dll };

    [Fact]
    public async Task Create_AnsweredByTheFrontEnd_PrintsWhatTheFullCliPrints()
    {
        var (fastName, fullName) = (Name(), Name());

        var fast = await FastAsync(NativeOnly, Create(fastName));
        var full = await FullAsync(Create(fullName));

        Assert.True(fast.ExitCode == 0, fast.ToString());
        Assert.True(full.ExitCode == 0, full.ToString());
        Assert.Matches($"^Created VM {fastName} \\([0-9a-z-]+\\) on node cli-node: Running\n$", fast.Out);
        Assert.Equal(Normalize(full, fullName), Normalize(fast, fastName));
    }

    [Fact]
    public async Task Create_WithARequestId_RepeatedThroughBoth_IsOneVm()
    {
        var name = Name();
        string[] create = [.. Create(name), "--request-id", $"req-{name}", "--no-wait"];

        var first = await FastAsync(NativeOnly, create);
        var again = await FastAsync(NativeOnly, create);
        var full = await FullAsync(create);

        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.Equal(Id(first), Id(again));
        Assert.Equal(Id(first), Id(full));
        var list = await FullAsync(["vm", "list", "--gateway", silo.Silo.Gateway]);
        Assert.Single(list.Out.Split('\n'), line => line.Contains($" {name} "));
    }

    [Theory]
    [InlineData("Bad_Name", "1", "64")] // refused by the spec rules before anything is sent
    [InlineData("ok-name", "0", "64")]
    [InlineData("ok-name", "1", "63")]
    public async Task Create_Invalid_SameErrorAndExitCode(string name, string vcpus, string memory)
    {
        string[] create = ["vm", "create", "--name", name, "--vcpus", vcpus, "--memory", memory, "--gateway", silo.Silo.Gateway];

        var fast = await FastAsync(NativeOnly, create);
        var full = await FullAsync(create);

        Assert.Equal(1, fast.ExitCode);
        Assert.StartsWith("form: ", fast.Error);
        Assert.Equal((full.ExitCode, full.Out, full.Error), (fast.ExitCode, fast.Out, fast.Error));
    }

    [Fact]
    public async Task Create_NameTaken_TheSilosConflictIsPrintedTheSame()
    {
        var name = Name();
        Assert.Equal(0, (await FastAsync(NativeOnly, Create(name))).ExitCode);

        var fast = await FastAsync(NativeOnly, Create(name));
        var full = await FullAsync(Create(name));

        Assert.Equal(1, fast.ExitCode);
        Assert.Contains("already exists", fast.Error);
        Assert.Equal((full.ExitCode, full.Out, full.Error), (fast.ExitCode, fast.Out, fast.Error));
    }

    [Fact]
    public async Task Delete_KnownAndUnknown_SameAsTheFullCli()
    {
        var (fastName, fullName) = (Name(), Name());
        Assert.Equal(0, (await FastAsync(NativeOnly, Create(fastName))).ExitCode);
        Assert.Equal(0, (await FastAsync(NativeOnly, Create(fullName))).ExitCode);

        var fast = await FastAsync(NativeOnly, ["vm", "delete", fastName, "--gateway", silo.Silo.Gateway]);
        var full = await FullAsync(["vm", "delete", fullName, "--gateway", silo.Silo.Gateway]);
        var fastUnknown = await FastAsync(NativeOnly, ["vm", "delete", "no-such-vm", "--gateway", silo.Silo.Gateway]);
        var fullUnknown = await FullAsync(["vm", "delete", "no-such-vm", "--gateway", silo.Silo.Gateway]);

        Assert.True(fast.ExitCode == 0, fast.ToString());
        Assert.Equal(Normalize(full, fullName), Normalize(fast, fastName));
        Assert.Equal(1, fastUnknown.ExitCode);
        Assert.Equal((fullUnknown.ExitCode, fullUnknown.Out, fullUnknown.Error), (fastUnknown.ExitCode, fastUnknown.Out, fastUnknown.Error));
    }

    /// <summary>Everything the front end does not answer itself reaches the full CLI unchanged: same output, same exit code.</summary>
    [Theory]
    [InlineData("vm", "list")]
    [InlineData("node", "list", "--json")]
    [InlineData("vm", "create", "--name", "no-size")] // the size is required: the full CLI's message
    [InlineData("vm", "create", "--name", "x", "--vcpus", "one", "--memory", "64")] // a parse error
    [InlineData("vm", "create", "--name=Bad_Name", "--vcpus", "1", "--memory", "64")] // --name=x: the full CLI's spellings
    [InlineData("vm", "create", "--name", "x", "--name", "y", "--vcpus", "1", "--memory", "64")]
    [InlineData("vm", "create", "--name", "x", "--vcpus", "1", "--memory", "64", "--no-wait", "false", "--disk", "abc")]
    [InlineData("vm", "delete", "no-such-vm", "--no-wait")]
    [InlineData("vm", "frobnicate")]
    [InlineData("--help")]
    public async Task OtherCommandLines_AreHandedOverUnchanged(params string[] args)
    {
        string[] line = [.. args, "--gateway", silo.Silo.Gateway];

        var fast = await FastAsync(WithFull, line);
        var full = await FullAsync(line);

        // Two runs are two reads: a node's heartbeat and load may move between them (seen in CI), nothing else may.
        Assert.Equal((full.ExitCode, MovingFields.Without(full.Out), full.Error), (fast.ExitCode, MovingFields.Without(fast.Out), fast.Error));
    }

    [Fact]
    public async Task NoSiloOnThisHost_HandedOver_ExitsTwoLikeTheFullCli()
    {
        var gateways = $"127.0.0.1:{FreePorts.Next()}";
        string[] create = ["vm", "create", "--name", "nowhere", "--vcpus", "1", "--memory", "64", "--gateway", gateways];

        var fast = await FastAsync(WithFull, create);
        var full = await FullAsync(create);

        Assert.Equal(2, fast.ExitCode);
        Assert.Equal((full.ExitCode, full.Out, full.Error), (fast.ExitCode, fast.Out, fast.Error));
    }

    /// <summary>
    /// A silo that takes the request and dies before answering (a socket that closes every connection): the front end
    /// hands the create to the full CLI with the request id it sent, in doubt; the full CLI finishes it on the next
    /// gateway, and there is one VM. A delete in doubt that then finds no VM has done its job, as in the full CLI.
    /// </summary>
    [Fact]
    public async Task SiloDiesAfterTheRequest_HandedOverInDoubt_TheNextSiloFinishesIt()
    {
        var port = FreePorts.Next();
        var path = LocalApiPaths.Socket(port);
        LocalApiPaths.EnsurePrivate();
        File.Delete(path);
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        listener.Listen(16);
        using var stop = new CancellationTokenSource();
        var dying = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                using var connection = await listener.AcceptAsync(stop.Token);
                var buffer = new byte[4096];
                await connection.ReceiveAsync(buffer, SocketFlags.None, stop.Token); // takes (part of) the request, answers nothing
            }
        });
        try
        {
            var name = Name();
            var gateways = $"127.0.0.1:{port},{silo.Silo.Gateway}";

            var create = await FastAsync(WithFull, ["vm", "create", "--name", name, "--vcpus", "1", "--memory", "64", "--gateway", gateways]);
            var fastDelete = await FastAsync(WithFull, ["vm", "delete", "gone-already", "--gateway", gateways]);
            var fullDelete = await FullAsync(["vm", "delete", "gone-already", "--gateway", gateways]);

            Assert.True(create.ExitCode == 0, create.ToString());
            Assert.Matches($"^Created VM {name} ", create.Out);
            var list = await FullAsync(["vm", "list", "--gateway", silo.Silo.Gateway]);
            Assert.Single(list.Out.Split('\n'), line => line.Contains($" {name} "));
            Assert.Equal(0, fastDelete.ExitCode);
            Assert.Equal((fullDelete.ExitCode, fullDelete.Out, fullDelete.Error), (fastDelete.ExitCode, fastDelete.Out, fastDelete.Error));
        }
        finally
        {
            await stop.CancelAsync();
            listener.Close();
            await Task.WhenAny(dying, Task.Delay(1000));
            File.Delete(path);
        }
    }

    private string[] Create(string name) => ["vm", "create", "--name", name, "--vcpus", "1", "--memory", "64", "--disk", "0", "--gateway", silo.Silo.Gateway];

    private static string Name() => $"ff-{Guid.NewGuid():N}"[..14];

    /// <summary>Runs the front end: $FORM_FAST_BIN (e.g. the NativeAOT artifacts/form/form-fast) or the JIT build's form-fast.dll.</summary>
    private static Task<FormProcess.Result> FastAsync(IReadOnlyDictionary<string, string> environment, string[] args) =>
        FormProcess.RunAsync(Environment.GetEnvironmentVariable("FORM_FAST_BIN") is { Length: > 0 } bin ? [bin] : ["dotnet", FormProcess.FastDll], args, environment);

    private static Task<FormProcess.Result> FullAsync(string[] args) => FormProcess.RunAsync(args);

    /// <summary>What a run printed with its VM's name and id replaced, so runs on two VMs compare.</summary>
    private static (int, string, string) Normalize(FormProcess.Result run, string name)
    {
        var id = Id(run);
        return (run.ExitCode, run.Out.Replace(id, "ID").Replace(name, "NAME"), run.Error.Replace(id, "ID").Replace(name, "NAME"));
    }

    private static string Id(FormProcess.Result run) => IdPattern().Match(run.Out) is { Success: true } match
        ? match.Groups[1].Value
        : throw new InvalidOperationException($"no VM id in the output: {run}");

    [GeneratedRegex(@"\(([^)]+)\)")]
    private static partial Regex IdPattern();
}
