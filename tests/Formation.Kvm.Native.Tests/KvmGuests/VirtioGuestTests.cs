using Formation.Kvm.Native.Tests.Support;

namespace Formation.Kvm.Native.Tests.KvmGuests;

/// <summary>Tiny guests that drive virtio-mmio devices through their rings (polling, no interrupts).</summary>
public sealed class VirtioGuestTests
{
    /// <summary>Negotiates VERSION_1, sets up queue QSEL (8 entries) at 0x200000/0x201000/0x202000, DRIVER_OK.</summary>
    private static string Setup(int queue) => $"""
            mov $0xd0000000, %rbx
            movl $0, 0x70(%rbx)
            movl $1, 0x70(%rbx)
            movl $3, 0x70(%rbx)
            movl $1, 0x24(%rbx)
            movl $1, 0x20(%rbx)
            movl $0, 0x24(%rbx)
            movl $0, 0x20(%rbx)
            movl $0xb, 0x70(%rbx)
            movl ${queue}, 0x30(%rbx)
            movl $8, 0x38(%rbx)
            movl $0x200000, 0x80(%rbx)
            movl $0, 0x84(%rbx)
            movl $0x201000, 0x90(%rbx)
            movl $0, 0x94(%rbx)
            movl $0x202000, 0xa0(%rbx)
            movl $0, 0xa4(%rbx)
            movl $1, 0x44(%rbx)
            movl $0xf, 0x70(%rbx)

        """;

    [Fact]
    public async Task VirtioBlk_GuestWritesAndReadsSectors_ThroughRawImage()
    {
        using var dir = Tools.CreateTempDir();
        var image = dir.File("disk.img");
        var disk = new byte[64 * 1024];
        for (var i = 0; i < 512; i++)
        {
            disk[i] = (byte)(i * 7);
        }

        File.WriteAllBytes(image, disk);
        using var guest = TinyGuest.Create(Setup(0) + """
                # request 1: OUT sector 2, 512 bytes of 0xa5
                movl $1, 0x203000
                movl $0, 0x203004
                movq $2, 0x203008
                mov $0x204000, %rdi
                mov $0xa5, %al
                mov $512, %rcx
                rep stosb
                movq $0x203000, 0x200000
                movl $16, 0x200008
                movw $1, 0x20000c
                movw $1, 0x20000e
                movq $0x204000, 0x200010
                movl $512, 0x200018
                movw $1, 0x20001c
                movw $2, 0x20001e
                movq $0x205000, 0x200020
                movl $1, 0x200028
                movw $2, 0x20002c
                movw $0, 0x20002e
                movw $0, 0x201004
                movw $1, 0x201002
                movl $0, 0x50(%rbx)
            1:  cmpw $1, 0x202002
                jne 1b
                movzbl 0x205000, %eax
                mov $0x502, %dx
                out %eax, %dx
                # request 2: IN sector 0 into 0x206000
                movl $0, 0x203000
                movq $0, 0x203008
                movq $0x206000, 0x200010
                movw $3, 0x20001c
                movb $0xff, 0x205000
                movw $0, 0x201006
                movw $2, 0x201002
                movl $0, 0x50(%rbx)
            2:  cmpw $2, 0x202002
                jne 2b
                movzbl 0x205000, %eax
                mov $0x501, %dx
                out %eax, %dx
            3:  jmp 3b
            """, c => c with { Disks = [new DiskConfig(image)] });
        Assert.Equal(ExitReason.PowerOff, await guest.RunAsync());
        Assert.Equal(0u, Assert.Single(guest.Record.Writes).Value);
        Assert.Equal(0u, Assert.Single(guest.Exit.Writes).Value);
        var written = File.ReadAllBytes(image);
        Assert.All(written.AsSpan(1024, 512).ToArray(), b => Assert.Equal(0xa5, b));
        Assert.Equal(0, written[1536]);
        Assert.True(guest.Vm.Memory.TryGetSpan(0x206000, 512, out var read));
        Assert.Equal(disk.AsSpan(0, 512).ToArray(), read.ToArray());
    }

    [Fact]
    public async Task VirtioBlk_ReadOnlyDisk_GuestWriteFailsWithIoError()
    {
        using var dir = Tools.CreateTempDir();
        var image = dir.File("ro.img");
        File.WriteAllBytes(image, new byte[4096]);
        using var guest = TinyGuest.Create(Setup(0) + """
                movl $1, 0x203000
                movq $0, 0x203008
                movq $0x203000, 0x200000
                movl $16, 0x200008
                movw $1, 0x20000c
                movw $1, 0x20000e
                movq $0x204000, 0x200010
                movl $512, 0x200018
                movw $1, 0x20001c
                movw $2, 0x20001e
                movq $0x205000, 0x200020
                movl $1, 0x200028
                movw $2, 0x20002c
                movw $0, 0x201004
                movw $1, 0x201002
                movl $0, 0x50(%rbx)
            1:  cmpw $1, 0x202002
                jne 1b
                movzbl 0x205000, %eax
                mov $0x501, %dx
                out %eax, %dx
            2:  jmp 2b
            """, c => c with { Disks = [new DiskConfig(image, ReadOnly: true)] });
        await guest.RunAsync();
        Assert.Equal(1u, Assert.Single(guest.Exit.Writes).Value);
    }

    [Fact]
    public async Task VirtioNet_GuestTransmitsFrame_ArrivesOnTap()
    {
        TinyGuest.SkipUnlessAvailable();
        Prerequisites.RequireRoot("creating a TAP (CAP_NET_ADMIN)");
        Prerequisites.RequireTun();
        Prerequisites.Require(Tools.Exists("ip"), "ip is not installed (Debian package iproute2)");
        var tap = $"fmt{Random.Shared.Next(100000, 999999)}";
        Tools.Run("ip", "tuntap", "add", "dev", tap, "mode", "tap");
        try
        {
            Tools.Run("ip", "link", "set", "dev", tap, "up");
            var before = long.Parse(File.ReadAllText($"/sys/class/net/{tap}/statistics/rx_packets"));
            using var guest = TinyGuest.Create(Setup(1) + """
                    # 12-byte zero header + 60-byte broadcast frame, ethertype 0x88b5
                    mov $0x204000, %rdi
                    xor %eax, %eax
                    mov $72, %rcx
                    rep stosb
                    movl $0xffffffff, 0x20400c
                    movw $0xffff, 0x204010
                    movl $0x00000002, 0x204012
                    movw $0x0100, 0x204016
                    movw $0xb588, 0x204018
                    movq $0x204000, 0x200000
                    movl $72, 0x200008
                    movw $0, 0x20000c
                    movw $0, 0x201004
                    movw $1, 0x201002
                    movl $1, 0x50(%rbx)
                1:  cmpw $1, 0x202002
                    jne 1b
                    mov $0x501, %dx
                    out %eax, %dx
                2:  jmp 2b
                """, c => c with { Nets = [new NetConfig(tap, "02:00:00:00:00:01")] });
            Assert.Equal(ExitReason.PowerOff, await guest.RunAsync());
            var after = long.Parse(File.ReadAllText($"/sys/class/net/{tap}/statistics/rx_packets"));
            Assert.Equal(before + 1, after);
        }
        finally
        {
            Tools.Run("ip", "link", "del", tap);
        }
    }
}
