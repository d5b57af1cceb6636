using Formation.Images;
using Formation.Silo.Pack;
using Formation.Silo.Tests.Pack;

namespace Formation.Silo.Tests.Images;

/// <summary>
/// Graceful shutdown of a real guest: Ctrl-Alt-Del pressed through QMP reaches the Formation init as SIGINT, which
/// stops the entrypoint (TERM, then KILL after 10 s), syncs and powers off — QEMU (-no-reboot) exits by itself.
/// </summary>
public sealed class GuestShutdownTests : IDisposable
{
    private static readonly TimeSpan BootTimeout = TimeSpan.FromSeconds(90);

    private readonly TestDirectory _data = new("guest-shutdown");

    [Fact]
    public async Task CtrlAltDel_EntrypointHonoursTerm_StopsItAndPowersOff()
    {
        const string App = "trap 'echo app: got TERM, exiting; exit 0' TERM; echo app: started; while :; do sleep 1; done";
        using var guest = await BootAsync("shutdown-polite", App);

        await guest.SendKeysAsync("ctrl", "alt", "delete");

        Assert.True(await guest.WaitForExitAsync(TimeSpan.FromSeconds(30)), "QEMU did not exit after Ctrl-Alt-Del; console:\n" + guest.Console);
        Assert.Equal(0, guest.ExitCode);
        var console = guest.Console;
        Assert.Contains(GuestInit.ShutdownLine + "INT", console);
        Assert.Contains("formation-init: stopping the entrypoint", console);
        Assert.Contains("app: got TERM, exiting", console);
        Assert.Contains("formation-init: entrypoint stopped", console);
        Assert.Contains(GuestInit.PowerOffLine, console);
        Assert.Contains("reboot: Power down", console); // the kernel powered off (not a reset)
        Assert.DoesNotContain("did not stop within", console);
        Assert.DoesNotContain("restarting in", console);
    }

    [Fact]
    [Trait("Category", "Slow")]
    public async Task CtrlAltDel_EntrypointIgnoresTerm_KillsItAfterTheGracePeriodAndPowersOff()
    {
        const string App = "trap '' TERM; echo app: started; while :; do sleep 1; done";
        using var guest = await BootAsync("shutdown-stubborn", App);

        await guest.SendKeysAsync("ctrl", "alt", "delete");

        Assert.True(await guest.WaitForExitAsync(TimeSpan.FromSeconds(45)), "QEMU did not exit after Ctrl-Alt-Del; console:\n" + guest.Console);
        var console = guest.Console;
        Assert.Contains("formation-init: stopping the entrypoint", console);
        Assert.Contains("the entrypoint did not stop within 10s; killing it", console);
        Assert.Contains(GuestInit.PowerOffLine, console);
    }

    private async Task<QemuGuest> BootAsync(string name, string entrypoint)
    {
        TestEnvironment.RequireBuilder();
        TestEnvironment.RequireQemu();
        var kernel = TestEnvironment.RequireFormationKernel();
        var options = new PackOptions { DataDirectory = _data.Path };
        var store = new ImageStore(options);
        var formfile = $"NAME {name}\nFROM tiny\nENTRYPOINT {entrypoint}\n";
        var manifest = await new ImageBuilder(options, store).BuildAsync(new BuildRequest(formfile), null, TestContext.Current.CancellationToken);
        var entry = (await store.GetAsync(manifest.Digest, TestContext.Current.CancellationToken))!;

        var guest = QemuGuest.Start(kernel, manifest.KernelCommandLine + " panic=-1", initrd: entry.RootFilesystemPath, memoryMb: 256, qmp: true);
        if (await guest.WaitForLineAsync(l => l.Contains(ImageManifest.ReadyLine, StringComparison.Ordinal), BootTimeout) < 0 ||
            await guest.WaitForLineAsync(l => l.Contains("app: started", StringComparison.Ordinal), BootTimeout) < 0)
        {
            var console = guest.Console;
            guest.Dispose();
            Assert.Fail("the guest did not start its entrypoint; console:\n" + console);
        }

        return guest;
    }

    public void Dispose() => _data.Dispose();
}
