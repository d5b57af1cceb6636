using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Formation.Kvm.Native.Arch;
using Formation.Kvm.Native.Memory;

namespace Formation.Kvm.Native.Boot;

/// <summary>
/// Direct Linux boot on x86-64: loads the kernel (ELF vmlinux or bzImage), the initrd (top of low RAM),
/// the command line, boot_params with the e820 map, optional MP table and RNG seed, and the long-mode
/// page tables. Pure over <see cref="GuestMemory"/>: testable without /dev/kvm.
/// </summary>
public static class LinuxBoot
{
    public const uint SetupRngSeed = 9;
    public const int RngSeedBytes = 32;
    public const ulong PageSize = 4096;

    public static BootSetup Load(GuestMemory memory, BootOptions options)
    {
        var kernel = ElfLoader.IsElf(options.Kernel)
            ? ElfLoader.Load(options.Kernel, memory)
            : BzImageLoader.IsBzImage(options.Kernel)
                ? BzImageLoader.Load(options.Kernel, memory)
                : throw new KernelImageException("the kernel is neither an ELF vmlinux nor a bzImage");

        var zeroPage = new BootParams();
        if (kernel.SetupHeader.Length > 0)
        {
            zeroPage.CopySetupHeader(kernel.SetupHeader);
        }
        else
        {
            zeroPage.SynthesizeSetupHeader();
        }

        zeroPage.SetLoaderDefaults();

        var cmdline = Encoding.ASCII.GetBytes(options.CommandLine);
        var maxCmdline = Math.Min(zeroPage.CmdlineSize == 0 ? 255u : zeroPage.CmdlineSize, Layout.CmdlineMaxSize - 1);
        if (cmdline.Length > maxCmdline)
        {
            throw new KernelImageException(
                $"the kernel command line is {cmdline.Length} bytes; this kernel accepts at most {maxCmdline}");
        }

        var cmdlineArea = new byte[cmdline.Length + 1];
        cmdline.CopyTo(cmdlineArea, 0);
        memory.Write(Layout.CmdlineAddress, cmdlineArea);
        zeroPage.SetCommandLine(Layout.CmdlineAddress);

        var lowRamEnd = Math.Min(options.MemoryBytes, Layout.MmioGapStart);
        ulong initrdAddress = 0, initrdSize = 0;
        if (options.Initrd is { Length: > 0 } initrd)
        {
            var limit = Math.Min(lowRamEnd, (ulong)zeroPage.InitrdAddrMax + 1);
            initrdSize = (ulong)initrd.Length;
            initrdAddress = initrdSize > limit ? 0 : (limit - initrdSize) & ~(PageSize - 1);
            if (initrdSize > limit || initrdAddress < kernel.End)
            {
                throw new KernelImageException(
                    $"the initrd ({initrdSize} bytes) does not fit between the kernel (ends 0x{kernel.End:x}) and 0x{limit:x}; give the VM more memory");
            }

            memory.Write(initrdAddress, initrd);
            zeroPage.SetRamdisk(initrdAddress, initrdSize);
        }

        if (options.MpTable)
        {
            MpTable.Write(memory, options.Vcpus);
        }

        if (options.RngSeed)
        {
            var setupData = new byte[16 + RngSeedBytes];
            BinaryPrimitives.WriteUInt32LittleEndian(setupData.AsSpan(8), SetupRngSeed);
            BinaryPrimitives.WriteUInt32LittleEndian(setupData.AsSpan(12), RngSeedBytes);
            RandomNumberGenerator.Fill(setupData.AsSpan(16));
            memory.Write(Layout.SetupDataAddress, setupData);
            zeroPage.SetSetupData(Layout.SetupDataAddress);
        }

        zeroPage.SetE820(E820Entry.ForMemory(options.MemoryBytes));
        memory.Write(Layout.ZeroPageAddress, zeroPage.Bytes);
        LongMode.WriteTables(memory);
        return new BootSetup(kernel, Layout.ZeroPageAddress, initrdAddress, initrdSize, options.CommandLine);
    }
}
