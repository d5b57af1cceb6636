using Formation.Kvm.Native.Machine;
using Formation.Kvm.Native.Tests.Support;

namespace Formation.Kvm.Native.Tests.KvmGuests;

public sealed class SmpAndPauseTests
{
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
        guest.Vm.Pause();
        Assert.Equal(MachineState.Paused, guest.Vm.State);
        var paused = Counter();
        await Task.Delay(300, TestContext.Current.CancellationToken);
        Assert.Equal(paused, Counter());
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
