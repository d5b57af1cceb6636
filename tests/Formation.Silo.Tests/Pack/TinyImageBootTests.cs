using Formation.Images;
using Formation.Silo.Pack;

namespace Formation.Silo.Tests.Pack;

/// <summary>A tiny image boots under QEMU/TCG: the guest init prints the readiness line, then runs and supervises the entrypoint.</summary>
public class TinyImageBootTests : IDisposable
{
    private const string Formfile = """
        NAME tiny-boot
        FROM tiny
        COPY ./hello.sh /app
        ENV GREETING="hello from formation"
        RUN chmod +x /app/hello.sh
        WORKDIR /app
        ENTRYPOINT ["/app/hello.sh"]
        """;

    private readonly TestDirectory _data = new("pack-data");
    private readonly TestDirectory _context = new("pack-context");

    [Fact]
    public async Task Boot_TinyImage_PrintsReadyThenRunsAndRestartsEntrypoint()
    {
        TestEnvironment.RequireBuilder();
        TestEnvironment.RequireQemu();
        var kernel = TestEnvironment.RequireFormationKernel();
        _context.Write("hello.sh", "#!/bin/sh\necho \"$GREETING in $(pwd) as $(hostname) pid1=$(cat /proc/1/comm)\"\nexit 4\n");
        var options = new PackOptions { DataDirectory = _data.Path };
        var store = new ImageStore(options);
        var manifest = await new ImageBuilder(options, store).BuildAsync(
            new BuildRequest(Formfile, ContextDirectory: _context.Path), null, TestContext.Current.CancellationToken);
        var entry = (await store.GetAsync(manifest.Digest, TestContext.Current.CancellationToken))!;

        using var guest = QemuGuest.Start(kernel, manifest.KernelCommandLine + " panic=-1", initrd: entry.RootFilesystemPath);

        var ready = await guest.WaitForLineAsync(l => l.Contains(ImageManifest.ReadyLine), TimeSpan.FromSeconds(90));
        Assert.True(ready >= 0, "no readiness line; console:\n" + guest.Console);
        Assert.Equal(ImageManifest.ReadyLine, guest.Lines[ready].Trim());
        var first = await guest.WaitForLineAsync(l => l.Contains("hello from formation in /app as tiny-boot"), TimeSpan.FromSeconds(30), ready);
        Assert.True(first > ready, "entrypoint did not run after the readiness line; console:\n" + guest.Console);
        var restart = await guest.WaitForLineAsync(l => l.Contains("entrypoint exited with status 4"), TimeSpan.FromSeconds(30), first);
        Assert.True(restart > first, "no restart notice; console:\n" + guest.Console);
        var second = await guest.WaitForLineAsync(l => l.Contains("hello from formation"), TimeSpan.FromSeconds(30), restart);
        Assert.True(second > restart, "entrypoint was not restarted; console:\n" + guest.Console);
    }

    [Fact]
    public async Task Boot_TinyImageWithIpArgument_ConfiguresEth0AndHostname()
    {
        TestEnvironment.RequireBuilder();
        TestEnvironment.RequireQemu();
        var kernel = TestEnvironment.RequireFormationKernel();
        var formfile = "NAME tiny-net\nFROM tiny\nENTRYPOINT echo \"net: $(hostname) $(ip -4 -o addr show dev eth0) via $(ip route show default)\"; sleep 3600\n";
        var options = new PackOptions { DataDirectory = _data.Path };
        var store = new ImageStore(options);
        var manifest = await new ImageBuilder(options, store).BuildAsync(new BuildRequest(formfile), null, TestContext.Current.CancellationToken);
        var entry = (await store.GetAsync(manifest.Digest, TestContext.Current.CancellationToken))!;

        using var guest = QemuGuest.Start(kernel, manifest.KernelCommandLine + " panic=-1 ip=10.0.2.15::10.0.2.2:255.255.255.0:guest-one:eth0:off",
            initrd: entry.RootFilesystemPath, network: true);

        // The console's login shell may print its prompt first on the same line ("~ # net: ..."), so look inside lines.
        var line = await guest.WaitForLineAsync(l => l.Contains("net: "), TimeSpan.FromSeconds(90));
        Assert.True(line >= 0, "entrypoint did not report; console:\n" + guest.Console);
        Assert.Contains("net: guest-one ", guest.Lines[line]);
        Assert.Contains("10.0.2.15/24", guest.Lines[line]);
        Assert.Contains("default via 10.0.2.2", guest.Lines[line]);
    }

    public void Dispose()
    {
        _data.Dispose();
        _context.Dispose();
    }
}
