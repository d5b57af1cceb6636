using Formation.Kvm.Native.Tests.Support;

namespace Formation.Kvm.Native.Tests.KvmGuests;

/// <summary>Tiny guests under real /dev/kvm: port I/O, MMIO, HLT, shutdown paths.</summary>
public sealed class BasicGuestTests
{
    [Fact]
    public async Task PortIo_StringAndSingleWrites_ReachTheConsole()
    {
        using var guest = TinyGuest.Create("""
                mov $0x3f8, %dx
                lea msg(%rip), %rsi
                mov $len, %rcx
                rep outsb
                mov $'!', %al
                out %al, %dx
                mov $'\n', %al
                out %al, %dx
                mov $0x501, %dx
                mov $7, %eax
                out %eax, %dx
            1:  jmp 1b
            msg: .ascii "hello from the guest"
            len = . - msg
            """);
        Assert.Equal(ExitReason.PowerOff, await guest.RunAsync());
        Assert.Equal(7u, Assert.Single(guest.Exit.Writes).Value);
        await TinyGuest.WaitUntil(() => guest.ConsoleText.Contains("hello from the guest!\n"), "console output");
    }

    [Fact]
    public async Task Mmio_ReadAndWrite_ReachTheDevice()
    {
        var device = new RecordingPort { ReadValue = 0x1234 };
        using var guest = TinyGuest.Create("""
                mov $0xd8000000, %rbx
                mov (%rbx), %eax
                add $1, %eax
                mov %eax, 8(%rbx)
                mov $0x501, %dx
                out %eax, %dx
            1:  jmp 1b
            """, build: b => b.AddMmioDevice(0xd800_0000, 0x1000, device));
        Assert.Equal(ExitReason.PowerOff, await guest.RunAsync());
        Assert.Equal((8ul, 0x1235u), Assert.Single(device.Writes));
        Assert.Equal(0x1235u, Assert.Single(guest.Exit.Writes).Value);
        Assert.True(guest.Vm.Info().Exits.Mmio >= 2);
    }

    [Fact]
    public async Task Hlt_WithoutIrqchip_StopsAsPowerOff()
    {
        using var guest = TinyGuest.Create("hlt");
        Assert.Equal(ExitReason.PowerOff, await guest.RunAsync());
        Assert.Contains("Halt", guest.Vm.ExitDetail);
    }

    [Fact]
    public async Task KeyboardControllerReset_StopsAsReset()
    {
        using var guest = TinyGuest.Create("""
                mov $0xfe, %al
                out %al, $0x64
            1:  jmp 1b
            """);
        Assert.Equal(ExitReason.Reset, await guest.RunAsync());
    }

    [Fact]
    public async Task TripleFault_StopsAsTripleFault()
    {
        using var guest = TinyGuest.Create("""
                lidt idtr(%rip)
                ud2
            idtr: .word 0
                .quad 0
            """);
        Assert.Equal(ExitReason.TripleFault, await guest.RunAsync());
    }

    [Fact]
    public async Task HaltWithInterruptsOff_WithIrqchip_IsDetectedAsPowerOff()
    {
        using var guest = TinyGuest.Create("""
                cli
                hlt
            1:  jmp 1b
            """, c => c with { InKernelIrqchip = true });
        Assert.Equal(ExitReason.PowerOff, await guest.RunAsync());
        Assert.Contains("halted", guest.Vm.ExitDetail);
    }

    [Fact]
    public async Task CtrlAltDel_GuestResetsOnDelete_ShutdownReturnsReset()
    {
        using var guest = TinyGuest.Create("""
            1:  in $0x64, %al
                test $1, %al
                jz 1b
                in $0x60, %al
                cmp $0x53, %al
                jne 1b
                mov $0xfe, %al
                out %al, $0x64
            2:  jmp 2b
            """);
        guest.Vm.Start();
        Assert.Equal(ExitReason.Reset, await guest.Vm.Shutdown(TinyGuest.Timeout));
    }

    [Fact]
    public async Task Shutdown_GuestIgnoresKeyboard_KilledAfterDeadline()
    {
        using var guest = TinyGuest.Create("""
            1:  pause
                jmp 1b
            """);
        guest.Vm.Start();
        Assert.Equal(ExitReason.ShutdownTimeout, await guest.Vm.Shutdown(TimeSpan.FromMilliseconds(500)));
    }

    [Fact]
    public async Task Kill_StopsASpinningGuest()
    {
        using var guest = TinyGuest.Create("""
            1:  jmp 1b
            """, c => c with { InKernelIrqchip = true });
        guest.Vm.Start();
        Assert.Equal(ExitReason.Killed, await guest.Vm.Kill());
        Assert.Equal(MachineState.Stopped, guest.Vm.State);
    }
}
