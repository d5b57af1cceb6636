using System.Globalization;
using System.Text.RegularExpressions;
using Formation.Silo.Hypervisors;
using Formation.Silo.Hypervisors.Qemu;
using Formation.Silo.Platform;
using Formation.Silo.Tests.Sandbox;
using Formation.Silo.Vms;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Formation.Silo.Tests.Snapshots;

/// <summary>
/// A tiny image whose entrypoint keeps a counter in a shell variable (memory), prints it to the console and writes it to
/// the first sector of the VM's disk; and a jailed qemu/TCG driver to run it (built once per test class).
/// </summary>
public sealed partial class CountingGuest : IDisposable
{
    private const string Formfile = """
        NAME counter
        FROM tiny
        ENTRYPOINT ["/bin/sh", "-c", "n=0; while :; do n=$((n+1)); echo snapcount=$n; printf '%d\\n' $n | dd of=/dev/vda bs=512 count=1 conv=sync,fsync 2>/dev/null; sleep 0.2; done"]
        """;

    private readonly SandboxedBuild _build = new();
    private Formation.Silo.Pack.ImageStoreEntry? _image;
    private string? _kernel;

    public TestDirectory Data { get; } = new("snap-vm-data");

    public QemuOptions Options { get; } = new() { Accelerator = "tcg", Jail = new VmJailOptions { CgroupParent = "sb-formation-snap" } };

    public QemuDriver Driver => new(Microsoft.Extensions.Options.Options.Create(Options), HostFacts.Probe(Data.Path), NullLogger<QemuDriver>.Instance);

    /// <summary>Prepares a VM directory (kernel, initramfs, a 1 MiB raw disk) and its launch record.</summary>
    /// <remarks><paramref name="dataDirectory"/>: a VM directory of another "node" (a live migration's target).</remarks>
    public async Task<(VmLaunch Launch, VmDirectory Directory)> PrepareAsync(long memoryMiB = 128, string? dataDirectory = null)
    {
        TestEnvironment.RequireBuilder();
        TestEnvironment.RequireQemu();
        _kernel ??= TestEnvironment.RequireFormationKernel();
        if (_image is null)
        {
            var manifest = await _build.BuildAsync(Formfile);
            _image = (await _build.Store.GetAsync(manifest.Digest, TestContext.Current.CancellationToken))!;
        }

        var vmId = "snapvm-" + Guid.NewGuid().ToString("N")[..8];
        var directory = VmDirectory.For(dataDirectory ?? Data.Path, vmId);
        await VmArtifacts.PrepareAsync(_image, _kernel, 1, directory, TestContext.Current.CancellationToken);
        await using (var disk = new FileStream(directory.Disk, FileMode.CreateNew))
        {
            disk.SetLength(1 << 20);
        }

        var launch = new VmLaunch(vmId, "counter", DriverNames.Qemu, 1, memoryMiB, "console=ttyS0 formation.console=none", HasInitrd: true, HasDisk: true,
            null, [], Running: true);
        return (launch, directory);
    }

    /// <summary>The counter values the guest printed after <paramref name="offset"/> of its console log.</summary>
    public static IReadOnlyList<long> Counts(VmDirectory directory, long offset = 0)
    {
        var bytes = File.ReadAllBytes(directory.ConsoleLog);
        var text = System.Text.Encoding.UTF8.GetString(bytes, (int)Math.Min(offset, bytes.Length), (int)Math.Max(0, bytes.Length - offset));
        return [.. Count().Matches(text).Select(m => long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture))];
    }

    /// <summary>The counter the guest last wrote to a disk image (its first sector), or null when it wrote none.</summary>
    public static long? DiskCount(string disk)
    {
        var sector = new byte[512];
        using (var stream = File.OpenRead(disk))
        {
            stream.ReadExactly(sector);
        }

        var line = System.Text.Encoding.ASCII.GetString(sector).Split('\n')[0];
        return long.TryParse(line, CultureInfo.InvariantCulture, out var value) ? value : null;
    }

    /// <summary>Waits until the guest has printed a counter of at least <paramref name="value"/> after <paramref name="offset"/>.</summary>
    public static async Task WaitForCountAsync(VmDirectory directory, long value, long offset = 0)
    {
        try
        {
            await Eventually.TrueAsync(() => Counts(directory, offset) is { Count: > 0 } counts && counts[^1] >= value, TimeSpan.FromSeconds(180),
                $"the guest counts to {value}");
        }
        catch (Xunit.Sdk.FailException ex)
        {
            var log = File.ReadAllText(directory.ConsoleLog);
            Assert.Fail($"{ex.Message}; console tail:\n{log[Math.Max(0, log.Length - 1500)..]}");
        }
    }

    [GeneratedRegex(@"snapcount=(\d+)")]
    private static partial Regex Count();

    public void Dispose()
    {
        foreach (var pidFile in Directory.EnumerateFiles(Data.Path, "vm.pid", SearchOption.AllDirectories))
        {
            if (ProcessInfo.TryReadPid(pidFile, out var pid))
            {
                ProcessInfo.Kill(pid);
            }
        }

        Data.Dispose();
        _build.Dispose();
    }
}
