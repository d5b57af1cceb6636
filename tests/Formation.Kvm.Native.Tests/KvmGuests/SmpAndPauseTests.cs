using System.Diagnostics;
using Formation.Kvm.Native.Tests.Support;

namespace Formation.Kvm.Native.Tests.KvmGuests;

public sealed class SmpAndPauseTests
{
    private const ulong Increments = 10_000;

    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    [InlineData(8)]
    public async Task AllVcpus_RunOnTheirOwnThreads(int vcpus)
    {
        using var guest = TinyGuest.Create("""
                mov %edi, %eax
                mov $0x502, %dx
                out %eax, %dx
            1:  pause
                jmp 1b
            """, c => c with { Vcpus = vcpus, InKernelIrqchip = true, Raw = c.Raw! with { AllVcpus = true } });
        guest.Vm.Start();
        await TinyGuest.WaitUntil(() => guest.Record.Writes.Count >= vcpus, $"{vcpus} vCPUs to report");
        Assert.Equal(Enumerable.Range(0, vcpus).Select(i => (uint)i), guest.Record.Writes.Select(w => w.Value).Order());
        Assert.Equal(ExitReason.Killed, await guest.Vm.Kill());
    }

    [Fact]
    public async Task PauseResume_MidLoop_StopsAndContinuesTheGuest()
    {
        using var guest = TinyGuest.Create("""
            1:  incq 0x300000
                jmp 1b
            """, c => c with { InKernelIrqchip = true, Vcpus = 2 });
        ulong Counter()
        {
            guest.Vm.Memory.TryRead(0x300000, out ulong v);
            return v;
        }

        guest.Vm.Start();
        await TinyGuest.WaitUntil(() => Counter() > 0, "the loop to start");

        // How fast this guest counts here (it varies by orders of magnitude between VT-x and nested PVM hosts).
        var before = Counter();
        var clock = Stopwatch.StartNew();
        await TinyGuest.WaitUntil(() => Counter() >= before + Increments, $"{Increments} increments");
        var perIncrements = clock.Elapsed;

        guest.Vm.Pause();
        Assert.Equal(MachineState.Paused, guest.Vm.State);
        Assert.Equal(guest.Vm.Vcpus.Count, guest.Vm.ParkedVcpus);
        var paused = Counter();

        // Paused means no increment at all over ten times the span in which the running guest made 10000 of them
        // (and over at least 100 looks): a guest that still ran would have moved the counter thousands of times.
        var window = TimeSpan.FromTicks(Math.Max(perIncrements.Ticks * 10, TimeSpan.FromMilliseconds(20).Ticks));
        clock.Restart();
        for (var looks = 0; looks < 100 || clock.Elapsed < window; looks++)
        {
            Assert.True(Counter() == paused, $"the counter moved from {paused} to {Counter()} {clock.Elapsed.TotalMilliseconds:F1} ms into the pause");
            Thread.Yield();
        }

        Assert.Equal(MachineState.Paused, guest.Vm.State);
        guest.Vm.Resume();
        await TinyGuest.WaitUntil(() => Counter() > paused, "the loop to continue");
        Assert.Equal(ExitReason.Killed, await guest.Vm.Kill());
    }

    [Fact]
    public void Pause_WhenNotRunning_SaysWhy()
    {
        using var guest = TinyGuest.Create("hlt");
        var e = Assert.Throws<InvalidOperationException>(() => guest.Vm.Pause());
        Assert.Contains("created", e.Message);
    }
}
