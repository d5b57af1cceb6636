using System.Text.Json;
using Formation.Grains.Scheduling;
using Formation.Nodes;

namespace Formation.Grains.Tests.Scheduling;

/// <summary>Which reservations the scheduler checks for a VM behind them (finding 10): only those past the grace period.</summary>
public sealed class ReservationAuditTests
{
    private static readonly DateTimeOffset Now = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Grace = TimeSpan.FromMinutes(5);
    private static readonly NodeCapacity One = new(1, 256, 1);

    [Fact]
    public void Due_OnlyReservationsOlderThanTheGrace_OldestFirst()
    {
        var reservations = new Dictionary<string, Reservation>
        {
            ["young"] = new("n1", One, Now - TimeSpan.FromSeconds(10)),
            ["at-the-grace"] = new("n1", One, Now - Grace),
            ["old"] = new("n1", One, Now - TimeSpan.FromMinutes(6)),
            ["older"] = new("n2", One, Now - TimeSpan.FromHours(3)),
        };

        Assert.Equal(["older", "old"], ReservationAudit.Due(reservations, Now, Grace));
    }

    [Fact]
    public void Due_NothingReserved_IsEmpty() =>
        Assert.Empty(ReservationAudit.Due(new Dictionary<string, Reservation>(), Now, Grace));

    [Fact]
    public void Due_RowStoredBeforeTimesWereRecorded_IsDueAtOnce()
    {
        // A reservation row written by an older silo has no reservedAt: it reads as the earliest time.
        var old = JsonSerializer.Deserialize<Reservation>("""{"NodeId":"n1","Resources":{"VCpus":1,"MemoryMiB":256,"DiskGiB":1}}""")!;
        Assert.Equal(default, old.ReservedAt);
        Assert.Equal(["legacy"], ReservationAudit.Due(new Dictionary<string, Reservation> { ["legacy"] = old }, Now, Grace));
    }
}
