using System.Diagnostics;
using System.Net;
using Formation.Silo.Hypervisors;
using Formation.Silo.Hypervisors.Qemu;
using Formation.Silo.Platform;
using Formation.Silo.Vms;
using Formation.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace Formation.Silo.Tests.Snapshots;

/// <summary>
/// The live migration stream between two real, jailed QEMU processes (the second in another data directory, as on another
/// node; the node-level path, one VM id on two hosts, is QemuMigrationTests'), over <see cref="MigrationChannel"/> on
/// loopback: the guest that counts in memory goes on, on the target, from where it was, while the source stays paused;
/// a stream that breaks leaves the guest running on the source. The guests have no disk: the stream carries none. A guest
/// that runs while it is sent (pre-copy) is a KVM guest's move (QemuOptions.LiveMigrationWithTcg says why); under TCG
/// the stream is proven with the guest paused for it.
/// </summary>
[Trait("Category", "Slow")]
public sealed class QemuLiveMigrationTests(CountingGuest guest) : IClassFixture<CountingGuest>
{
    [Fact]
    public async Task Stream_PausedCountingGuest_GoesOnOnTheTarget_FromExactlyWhereItWas()
    {
        await WithSourceAndTargetAsync(guest.Driver, async (source, directory, target, targetDirectory, ct) =>
        {
            await source.PauseAsync(ct);
            await Task.Delay(300, ct); // whatever the console still had in flight lands in the source's log
            var lastOnSource = CountingGuest.Counts(directory)[^1];

            await MigrateAsync(source, target, ct);

            Assert.True(await source.IsPausedAsync(ct));
            Assert.True(await target.IsPausedAsync(ct), "the stream says the guest was paused: it stays paused until asked");
            await target.ResumeAsync(ct);
            await CountingGuest.WaitForCountAsync(targetDirectory, lastOnSource + 3);
            var onTarget = CountingGuest.Counts(targetDirectory);
            Assert.Equal(lastOnSource + 1, onTarget[0]);
            Assert.Equal(Enumerable.Range(0, onTarget.Count).Select(i => onTarget[0] + i), onTarget);
            Assert.Equal(lastOnSource, CountingGuest.Counts(directory)[^1]);
        });
    }

    [Fact]
    public async Task LiveMigration_RunningKvmGuest_GoesOnOnTheTarget_FromWhereItWas()
    {
        var driver = new QemuDriver(Microsoft.Extensions.Options.Options.Create(new QemuOptions { Jail = guest.Options.Jail }),
            HostFacts.Probe(guest.Data.Path), NullLogger<QemuDriver>.Instance);
        Assert.SkipUnless(driver.UsesKvm, Prerequisites.KvmSkipReason("live migration pre-copies KVM guests only (QemuOptions.LiveMigrationWithTcg)"));
        await WithSourceAndTargetAsync(driver, async (source, directory, target, targetDirectory, ct) =>
        {
            var clock = Stopwatch.StartNew();
            await MigrateAsync(source, target, ct);
            var took = clock.ElapsedMilliseconds;

            Assert.True(await source.IsPausedAsync(ct), "the source must stay paused after it sent the VM");
            Assert.False(await target.IsPausedAsync(ct), "the target runs the guest once the stream has ended");
            var lastOnSource = CountingGuest.Counts(directory)[^1];
            await CountingGuest.WaitForCountAsync(targetDirectory, lastOnSource + 3);
            var onTarget = CountingGuest.Counts(targetDirectory);

            // Memory: it goes on from the count it had, one by one (not from 1: it did not boot again).
            Assert.InRange(onTarget[0], lastOnSource, lastOnSource + 2);
            Assert.Equal(Enumerable.Range(0, onTarget.Count).Select(i => onTarget[0] + i), onTarget);

            // The source counts no further.
            await Task.Delay(1000, ct);
            Assert.Equal(lastOnSource, CountingGuest.Counts(directory)[^1]);
            TestContext.Current.TestOutputHelper?.WriteLine($"migrated in {took} ms; source stopped at {lastOnSource}, target went on at {onTarget[0]}");
        });
    }

    /// <summary>A counting source (at 5 already) and a target waiting for it (<see cref="VmLaunch.Incoming"/>), both ended afterwards.</summary>
    private async Task WithSourceAndTargetAsync(QemuDriver driver, Func<IVmProcess, VmDirectory, IVmProcess, VmDirectory, CancellationToken, Task> body)
    {
        var ct = TestContext.Current.CancellationToken;
        var (launch, directory) = await DisklessAsync();
        var (targetLaunch, targetDirectory) = await DisklessAsync(Path.Combine(guest.Data.Path, "target"));
        var source = await driver.LaunchAsync(launch, directory, ct);
        IVmProcess? target = null;
        try
        {
            await CountingGuest.WaitForCountAsync(directory, 5);
            target = await driver.LaunchAsync(targetLaunch with { Incoming = true }, targetDirectory, ct);
            Assert.True(await target.IsPausedAsync(ct)); // waiting for its state
            await body(source, directory, target, targetDirectory, ct);
        }
        finally
        {
            foreach (var process in new[] { source, target }.OfType<IVmProcess>())
            {
                await process.KillAsync(ct);
                await process.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task LiveMigration_StreamBrokenBeforeTheEnd_TheGuestRunsOnOnTheSource()
    {
        var ct = TestContext.Current.CancellationToken;
        var (launch, directory) = await DisklessAsync(memoryMiB: 256);
        var source = await guest.Driver.LaunchAsync(launch, directory, ct);
        try
        {
            await CountingGuest.WaitForCountAsync(directory, 3);

            // The "target" takes the connection and closes it at once: the source's send fails.
            await using var channel = MigrationChannel.Open(IPAddress.Loopback, IPAddress.Loopback);
            var accepted = channel.AcceptAsync(TimeSpan.FromSeconds(30), ct);
            using var outbound = await MigrationChannel.ConnectAsync(channel.Inbox, ct);
            (await accepted).Dispose();

            await Assert.ThrowsAnyAsync<Exception>(() => ((IVmLiveMigration)source).SendLiveAsync(outbound, ct));
            Assert.False(await source.IsPausedAsync(ct), "after a failed send the guest must run on where it was");
            var now = CountingGuest.Counts(directory)[^1];
            await CountingGuest.WaitForCountAsync(directory, now + 3);
        }
        finally
        {
            await source.KillAsync(ct);
            await source.DisposeAsync();
        }
    }

    private static async Task MigrateAsync(IVmProcess source, IVmProcess target, CancellationToken ct)
    {
        await using var channel = MigrationChannel.Open(IPAddress.Loopback, IPAddress.Loopback);
        var accepted = channel.AcceptAsync(TimeSpan.FromSeconds(30), ct);
        using var outbound = await MigrationChannel.ConnectAsync(channel.Inbox, ct);
        using var inbound = await accepted;
        var receiving = ((IVmLiveMigration)target).ReceiveLiveAsync(inbound, ct);
        await ((IVmLiveMigration)source).SendLiveAsync(outbound, ct);
        await receiving;
    }

    private async Task<(VmLaunch Launch, VmDirectory Directory)> DisklessAsync(string? dataDirectory = null, long memoryMiB = 128)
    {
        var (launch, directory) = await guest.PrepareAsync(memoryMiB, dataDirectory);
        return (launch with { HasDisk = false }, directory);
    }
}
