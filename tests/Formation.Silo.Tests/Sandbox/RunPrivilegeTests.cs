using Formation.Images;

namespace Formation.Silo.Tests.Sandbox;

/// <summary>
/// Findings 2 and 3: RUN is root only inside its user namespace. The protected /proc paths are read-only or masked,
/// no_new_privs is set, raw sockets are gone, and what a step creates (setuid programs included) is owned by the
/// unprivileged build range on the host, in a store other users cannot enter — while the image keeps root owners.
/// Checks that would harm the host if they succeeded test the capability (an open for writing), never the harm.
/// </summary>
public class RunPrivilegeTests : IDisposable
{
    private readonly SandboxedBuild _build = new();

    [Fact]
    public async Task Run_RootInsideTheStep_CannotReachKernelKnobsAndIsNoOneOnTheHost()
    {
        TestEnvironment.RequireBuilder();
        var corePattern = await File.ReadAllTextAsync("/proc/sys/kernel/core_pattern", TestContext.Current.CancellationToken);
        const string formfile = """
            NAME proc-attack
            FROM tiny
            RUN test "$(id -u)" = 0 || { id; exit 10; }
            RUN ! sh -c ': >> /proc/sys/kernel/core_pattern' 2>/dev/null || { echo core_pattern is writable; exit 11; }
            RUN ! sh -c ': >> /proc/sys/vm/drop_caches' 2>/dev/null || exit 12
            RUN grep -q '^NoNewPrivs:[[:space:]]*1' /proc/self/status || { grep NoNewPrivs /proc/self/status; exit 13; }
            RUN for f in /proc/keys /proc/timer_list /proc/kcore; do ! test -s $f || { echo "$f readable"; exit 14; }; done
            RUN grep -E ' /proc/sys ro,' /proc/self/mountinfo || { cat /proc/self/mountinfo; exit 15; }
            RUN ! test -e /sys/firmware || exit 16
            RUN bnd=$(sed -n 's/^CapBnd:[[:space:]]*//p' /proc/self/status) && test $(( 0x$bnd & (1 << 13) )) = 0 || { echo "CAP_NET_RAW kept: $bnd"; exit 17; }
            RUN echo made-by-root > /owned && mkdir /owned-dir
            """;

        var manifest = await _build.BuildAsync(formfile);

        Assert.Equal(corePattern, await File.ReadAllTextAsync("/proc/sys/kernel/core_pattern", TestContext.Current.CancellationToken));
        var owned = Directory.EnumerateFiles(_build.LayersDirectory, "owned", SearchOption.AllDirectories).Single();
        var owners = await SandboxedBuild.RunAsync("stat", "-c", "%u:%g", owned, Path.GetDirectoryName(owned)!);
        Assert.Equal([$"{_build.Options.BuildUidBase}:{_build.Options.BuildUidBase}", $"{_build.Options.BuildUidBase}:{_build.Options.BuildUidBase}"], owners);
        var listing = await _build.ListImageAsync(manifest);
        Assert.Contains("-rw-r--r-- 0:0 /owned", listing);
        Assert.Contains("drwxr-xr-x 0:0 /owned-dir", listing);
        Assert.Empty(_build.LeftoverCgroups());
    }

    [Fact]
    public async Task Run_SetuidRootProgram_IsSetuidOnlyInsideTheImageAndTheStoreIsClosedToOtherUsers()
    {
        TestEnvironment.RequireBuilder();

        var manifest = await _build.BuildAsync("NAME setuid\nFROM tiny\nRUN cp /bin/busybox /s && chmod 4755 /s && touch /u && chown 1000:1000 /u\n");

        var planted = Directory.EnumerateFiles(_build.LayersDirectory, "s", SearchOption.AllDirectories).Single();
        var stat = Assert.Single(await SandboxedBuild.RunAsync("stat", "-c", "%u %a", planted));
        Assert.Equal($"{_build.Options.BuildUidBase} 4755", stat); // setuid to an unprivileged, unused uid: not root

        var setuidRoot = await SandboxedBuild.RunAsync("find", _build.PackDirectory, "-xdev", "-user", "0", "-perm", "-4000");
        Assert.Empty(setuidRoot);
        var pack = Assert.Single(await SandboxedBuild.RunAsync("stat", "-c", "%u %g %a", _build.PackDirectory));
        Assert.Equal($"0 {_build.Options.BuildUidBase} 710", pack);
        var asNobody = await SandboxedBuild.RunAsync("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--",
            "sh", "-c", $"ls '{_build.LayersDirectory}' >/dev/null 2>&1 && echo entered || echo refused");
        Assert.Equal(["refused"], asNobody);

        var listing = await _build.ListImageAsync(manifest);
        Assert.Contains("-rwsr-xr-x 0:0 /s", listing); // setuid root inside the image, where it belongs
        Assert.Contains("-rw-r--r-- 1000:1000 /u", listing);
    }

    public void Dispose() => _build.Dispose();
}
