using System.Text;
using Formation.Kvm.Native.Machine;

namespace Formation.Kvm.Native.Tests.Support;

/// <summary>
/// Builds a VM around a small assembled guest. Port 0x501 is the exit port (a write stops the VM with
/// PowerOff and records the value), port 0x502 a recorder. Skips the test when /dev/kvm is missing; fails it when
/// binutils is.
/// </summary>
internal sealed class TinyGuest : IDisposable
{
    public const ushort ExitPort = 0x501, RecordPort = 0x502;
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    private TinyGuest(VirtualMachine vm, RecordingPort exit, RecordingPort record)
    {
        Vm = vm;
        Exit = exit;
        Record = record;
    }

    public VirtualMachine Vm { get; }

    public RecordingPort Exit { get; }

    public RecordingPort Record { get; }

    public static void SkipUnlessAvailable()
    {
        Prerequisites.RequireKvm("the guest runs on /dev/kvm");
        Prerequisites.Require(GuestAssembler.Available, "GNU as/ld/objcopy are not installed (Debian package binutils)");
    }

    public static TinyGuest Create(string assembly, Func<MachineConfig, MachineConfig>? configure = null, Action<MachineBuilder>? build = null)
    {
        SkipUnlessAvailable();
        var code = GuestAssembler.Assemble(assembly);
        var config = new MachineConfig { Raw = new RawBoot(code), MemoryMiB = 64, Rng = false, InKernelIrqchip = false };
        config = configure?.Invoke(config) ?? config;
        VirtualMachine? vm = null;
        var exit = new RecordingPort(v => vm?.RequestStop(ExitReason.PowerOff, $"test exit {v}"));
        var record = new RecordingPort();
        var builder = new MachineBuilder(config).AddPortDevice(ExitPort, 1, exit).AddPortDevice(RecordPort, 1, record);
        build?.Invoke(builder);
        vm = builder.Build();
        return new TinyGuest(vm, exit, record);
    }

    /// <summary>Starts the guest and waits for it to stop.</summary>
    public async Task<ExitReason> RunAsync()
    {
        Vm.Start();
        return await WaitAsync();
    }

    public async Task<ExitReason> WaitAsync()
    {
        var done = await Task.WhenAny(Vm.Exited, Task.Delay(Timeout, TestContext.Current.CancellationToken));
        if (done != Vm.Exited)
        {
            await Vm.Kill("test timeout");
            Assert.Fail($"the guest did not stop within {Timeout.TotalSeconds} s; info: {Vm.Info()}");
        }

        return await Vm.Exited;
    }

    public string ConsoleText => Encoding.ASCII.GetString(Vm.Console.Tail());

    public static async Task WaitUntil(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Timeout;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for {what}");
            await Task.Delay(10, TestContext.Current.CancellationToken);
        }
    }

    public void Dispose() => Vm.Dispose();
}
