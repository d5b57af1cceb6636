using System.Text;

namespace Formation.Kvm.Native.Tests.Protocol;

/// <summary>
/// The formation-vmm contract as bytes: every request and reply round-trips through the methods both ends use, the
/// lines older silos and VMMs wrote still read (a silo re-adopts running VMs across upgrades), and bad input is
/// refused with a message that says what to send.
/// </summary>
public sealed class VmmProtocolTests
{
    private static readonly VcpuExitCounts Counts = new(1, 2, 3, 4, 5, 6, 7, 8, 9);

    private static readonly Dictionary<string, Action> RoundTrips = new()
    {
        ["boot"] = () => RoundTrip(new BootRequest { Id = 1 }, new StateResult(MachineState.Running)),
        ["pause"] = () => RoundTrip(new PauseRequest(), new StateResult(MachineState.Paused)),
        ["resume"] = () => RoundTrip(new ResumeRequest { Id = -3 }, new StateResult(MachineState.Running)),
        ["shutdown"] = () => RoundTrip(new ShutdownRequest { Id = 4, TimeoutSeconds = 12.5 }, ExitResult.For(ExitReason.Reset, "rebooted")),
        ["kill"] = () => RoundTrip(new KillRequest(), ExitResult.For(ExitReason.Killed, "kill requested on the control socket")),
        ["wait"] = () => RoundTrip(new WaitRequest { Id = long.MaxValue }, ExitResult.For(ExitReason.PowerOff, null)),
        ["info"] = () => RoundTrip(new InfoRequest(), new MachineInfo(MachineState.Stopped, 2, 256, 12.25, true, Counts + Counts, [Counts, Counts],
            new Dictionary<string, string> { ["serial"] = "0x3f8 irq 4" }, ExitReason.TripleFault, "vCPU 1: TripleFault")),
        ["registers"] = () => RoundTrip<IReadOnlyList<VcpuRegisters>>(new RegistersRequest(),
            [new VcpuRegisters("0x1000", "0x8ff0", "0x2", "0x80050033", "0x9000", "0x10", "3"), new VcpuRegisters("0", "0", "0", "0", "0", "0", "1")]),
        ["console"] = () => RoundTrip(new ConsoleRequest { Id = 9 }, new ConsoleAttached(true)),
        ["snapshot"] = () => RoundTrip(new SnapshotRequest("/srv/snapshots/s1") { Id = 10 }, new SnapshotResult("/srv/snapshots/s1", 256L << 20, 12L << 20)),
    };

    public static TheoryData<string> Commands => [.. VmmProtocol.Commands];

    [Theory]
    [MemberData(nameof(Commands))]
    public void EveryCommand_RequestReplyAndFailure_RoundTrip(string command)
    {
        Assert.True(RoundTrips.TryGetValue(command, out var roundTrip), $"no round-trip case for the command \"{command}\"");
        roundTrip();
    }

    [Fact]
    public void Commands_AreTheDocumentedOnes() =>
        Assert.Equal(["boot", "pause", "resume", "shutdown", "kill", "wait", "info", "registers", "console", "snapshot"], VmmProtocol.Commands);

    [Theory]
    [InlineData("""{"cmd":"info"}""", typeof(InfoRequest), null)]
    [InlineData("""{"id":1,"cmd":"boot"}""", typeof(BootRequest), 1L)]
    [InlineData("""{"cmd":"console"}""", typeof(ConsoleRequest), null)]
    public void Requests_AsOlderClientsWroteThem_Parse(string line, Type type, long? id)
    {
        var request = VmmProtocol.ParseRequest(Encoding.UTF8.GetBytes(line));
        Assert.IsType(type, request);
        Assert.Equal(id, request.Id);
    }

    [Fact]
    public void Shutdown_AsTheOlderSiloWroteIt_Parses() =>
        Assert.Equal(new ShutdownRequest { Id = 7, TimeoutSeconds = 30 },
            VmmProtocol.ParseRequest("""{"id":7,"cmd":"shutdown","timeoutSeconds":30}"""u8));

    [Fact]
    public void Shutdown_WithoutTimeout_Waits30Seconds() =>
        Assert.Equal(30, Assert.IsType<ShutdownRequest>(VmmProtocol.ParseRequest("""{"cmd":"shutdown"}"""u8)).TimeoutSeconds);

    [Fact]
    public void Replies_AsTheOlderVmmWroteThem_Parse()
    {
        // The JsonObject-built replies of formation-vmm before the shared contract (id echoed as null).
        var exit = VmmProtocol.ParseReply<ExitResult>("""{"id":null,"ok":true,"result":{"exitReason":"Reset","exitStatus":10,"detail":"i8042"}}"""u8);
        Assert.Equal(ExitResult.For(ExitReason.Reset, "i8042"), exit.Result);
        Assert.Equal(new ConsoleAttached(true), VmmProtocol.ParseReply<ConsoleAttached>("""{"id":null,"ok":true,"result":{"attached":true}}"""u8).Result);
        var refused = VmmProtocol.ParseReply<StateResult>("""{"id":3,"ok":false,"error":"cannot pause: the VM is paused"}"""u8);
        Assert.Equal(new VmmReply<StateResult>(3, false, null, "cannot pause: the VM is paused"), refused);
        var info = VmmProtocol.ParseReply<MachineInfo>("""
            {"id":null,"ok":true,"result":{"state":"running","vcpus":1,"memoryMiB":64,"uptimeSeconds":2.5,"pvmCompat":false,
             "exits":{"io":3,"mmio":0,"hlt":0,"interrupted":1,"internal_error":0,"other":0,"unhandled_io":0,"unhandled_mmio":0,"emulation_fixups":0},
             "exitsPerVcpu":[{"io":3,"mmio":0,"hlt":0,"interrupted":1,"internal_error":0,"other":0,"unhandled_io":0,"unhandled_mmio":0,"emulation_fixups":0}],
             "devices":{"serial":"0x3f8 irq 4, tx 3 B, rx 0 B"}}}
            """u8).Result!;
        Assert.Equal(MachineState.Running, info.State);
        Assert.Null(info.ExitReason);
        Assert.Equal(new VcpuExitCounts(3, 0, 0, 1, 0, 0, 0, 0, 0), info.Exits);
    }

    [Fact]
    public void Reply_WithFieldsANewerVmmAdded_StillParses() =>
        Assert.Equal(MachineState.Paused,
            VmmProtocol.ParseReply<StateResult>("""{"ok":true,"result":{"state":"paused","since":"now"},"server":"x"}"""u8).Result!.State);

    [Fact]
    public void Config_RoundTrips()
    {
        var config = new VmmConfig
        {
            Kernel = "/vms/a/vmlinux", Initrd = "/vms/a/initrd", Cmdline = "console=ttyS0 panic=-1 -- init", Vcpus = 4, MemoryMiB = 2048,
            Disks = [new DiskConfig("/vms/a/disk.img", Serial: "root"), new DiskConfig("data.img", true)],
            Nets = [new NetConfig("fmtap0", "02:00:00:00:00:01"), new NetConfig("fmtap1")], Rng = false, ConsoleLog = "console.log",
            ControlSocket = "/run/formation/a/control.sock", PidFile = "vm.pid", Compat = CompatMode.On, MpTable = false,
        };
        var text = VmmProtocol.SerializeConfig(config);
        var parsed = VmmProtocol.ParseConfig(text);
        Assert.Equivalent(config, parsed, strict: true);
        Assert.Equal(text, VmmProtocol.SerializeConfig(parsed));
        Assert.Equivalent(new VmmConfig(), VmmProtocol.ParseConfig("{}"), strict: true);
    }

    [Fact]
    public void Config_AsTheOlderSiloWroteIt_Parses()
    {
        // vmm.json as the kvm driver wrote it before the shared contract (JsonObject, indented): a silo that re-adopts a
        // VM started by that version finds this file next to it.
        var parsed = VmmProtocol.ParseConfig("""
            {
              "kernel": "/srv/vms/a/vmlinux",
              "cmdline": "console=ttyS0 quiet",
              "vcpus": 1,
              "memoryMiB": 256,
              "rng": true,
              "consoleLog": "/srv/vms/a/console.log",
              "controlSocket": "/run/formation/vms/a/control.sock",
              "pidFile": "/srv/vms/a/vm.pid",
              "compat": "auto",
              "disks": [
                {
                  "path": "/srv/vms/a/disk.img",
                  "serial": "root"
                }
              ],
              "nets": [
                {
                  "tap": "fmtap3",
                  "mac": "02:00:00:00:00:03"
                }
              ],
              "initrd": "/srv/vms/a/initrd"
            }
            """);
        Assert.Equivalent(new VmmConfig
        {
            Kernel = "/srv/vms/a/vmlinux", Initrd = "/srv/vms/a/initrd", Cmdline = "console=ttyS0 quiet", Vcpus = 1, MemoryMiB = 256,
            Rng = true, ConsoleLog = "/srv/vms/a/console.log", ControlSocket = "/run/formation/vms/a/control.sock",
            PidFile = "/srv/vms/a/vm.pid", Compat = CompatMode.Auto, Disks = [new DiskConfig("/srv/vms/a/disk.img", Serial: "root")],
            Nets = [new NetConfig("fmtap3", "02:00:00:00:00:03")],
        }, parsed, strict: true);
    }

    [Theory]
    [InlineData("""{"kernel":"k","memoryMB":512}""", "memoryMB")]
    [InlineData("""{"compat":"maybe"}""", "\"auto\", \"on\", \"off\"")]
    [InlineData("""{"compat":1}""", "\"auto\", \"on\", \"off\"")]
    [InlineData("""{"disks":null}""", "disks")]
    [InlineData("""{"disks":[{"readOnly":true}]}""", "path")]
    [InlineData("""{"nets":[{"tap":"t","vlan":3}]}""", "vlan")]
    [InlineData("""{"vcpus":"two"}""", "vcpus")]
    [InlineData("null", "null")]
    [InlineData("{", "invalid VM config")]
    public void Config_BadInput_IsRefusedNamingWhatIsWrong(string json, string named)
    {
        var e = Assert.Throws<InvalidDataException>(() => VmmProtocol.ParseConfig(json));
        Assert.Contains(named, e.Message);
    }

    [Theory]
    [InlineData("""{"cmd":"dance"}""")]
    [InlineData("""{"id":2}""")]
    [InlineData("""{"cmd":"pause","timeoutSeconds":3}""")]
    [InlineData("""{"cmd":"shutdown","timeoutSeconds":"soon"}""")]
    [InlineData("""{"cmd":"info","id":"one"}""")]
    [InlineData("""["info"]""")]
    [InlineData("not json")]
    [InlineData("null")]
    [InlineData("")]
    public void Request_BadInput_IsRefusedListingTheCommands(string line)
    {
        var e = Assert.Throws<InvalidDataException>(() => VmmProtocol.ParseRequest(Encoding.UTF8.GetBytes(line)));
        Assert.Contains("cmd", e.Message);
        Assert.Contains(string.Join(", ", VmmProtocol.Commands), e.Message);
    }

    [Theory]
    [InlineData("""{"ok":true}""")]
    [InlineData("""{"ok":false}""")]
    [InlineData("""{"ok":true,"result":{"state":"dancing"}}""")]
    [InlineData("""{"ok":true,"result":{"state":3}}""")]
    [InlineData("garbage")]
    public void Reply_Unreadable_IsRefusedQuotingIt(string line)
    {
        var e = Assert.Throws<InvalidDataException>(() => VmmProtocol.ParseReply<StateResult>(Encoding.UTF8.GetBytes(line)));
        Assert.Contains(line, e.Message);
    }

    [Fact]
    public void ExitResult_StatusIsTheReasonsNumber()
    {
        foreach (var reason in Enum.GetValues<ExitReason>())
        {
            var line = VmmProtocol.SerializeReply(new VmmReply<ExitResult>(null, true, ExitResult.For(reason, null), null));
            var result = VmmProtocol.ParseReply<ExitResult>(line.AsSpan(0, line.Length - 1)).Result!;
            Assert.Equal(reason, result.ExitReason);
            Assert.Equal((int)reason, result.ExitStatus);
        }
    }

    private static void RoundTrip<TResult>(VmmRequest<TResult> request, TResult result)
    {
        var requestLine = VmmProtocol.SerializeRequest(request);
        Assert.Equal((byte)'\n', requestLine[^1]);
        Assert.Equal(-1, Array.IndexOf(requestLine, (byte)'\n', 0, requestLine.Length - 1));
        var parsed = VmmProtocol.ParseRequest(requestLine.AsSpan(0, requestLine.Length - 1));
        Assert.Equal(request, parsed);
        Assert.Equal(VmmProtocol.CommandOf(request), VmmProtocol.CommandOf(parsed));

        var reply = new VmmReply<TResult>(request.Id, true, result, null);
        var replyLine = VmmProtocol.SerializeReply(reply);
        var parsedReply = VmmProtocol.ParseReply<TResult>(replyLine.AsSpan(0, replyLine.Length - 1));
        Assert.Equivalent(reply, parsedReply, strict: true);
        Assert.Equal(replyLine, VmmProtocol.SerializeReply(parsedReply));

        var failureLine = VmmProtocol.SerializeFailure(new VmmFailure(request.Id, $"cannot {VmmProtocol.CommandOf(request)}"));
        Assert.Equal(new VmmReply<TResult>(request.Id, false, default, $"cannot {VmmProtocol.CommandOf(request)}"),
            VmmProtocol.ParseReply<TResult>(failureLine.AsSpan(0, failureLine.Length - 1)));
    }
}
