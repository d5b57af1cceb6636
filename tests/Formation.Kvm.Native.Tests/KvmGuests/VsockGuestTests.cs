using System.Diagnostics;
using System.Security.Cryptography;
using Formation.Kvm.Native.Tests.Support;

namespace Formation.Kvm.Native.Tests.KvmGuests;

/// <summary>
/// The real guest kernel's virtio-vsock driver against formation-vmm's device: the initramfs's /init is a small static C
/// program (compiled here with gcc) that listens on vsock port 5252 and echoes; the test connects through the hybrid
/// Unix socket, sends 1 MiB and must get the same 1 MiB back. formation-vmm runs with its default seccomp allow-list, so
/// the device's host side (accept, reads, writes, half-close) is proven under the filter (and, run as root, as the VM's
/// own uid via --run-as, as the kvm driver starts it). Tens of seconds to minutes on
/// nested PVM hosts (the kernel boots under emulation); about a second on VT-x/AMD-V.
/// </summary>
public sealed class VsockGuestTests
{
    private const uint Port = 5252;
    private const string Ready = "VSOCK-ECHO-READY";
    private const uint VmUid = 1_100_065_252;
    private static readonly TimeSpan BootTimeout = TimeSpan.FromMinutes(6);

    /// <summary>/init: a vsock echo server on port 5252 (one connection at a time), announcing itself on the console.</summary>
    private const string EchoServer = """
        #include <sys/socket.h>
        #include <linux/vm_sockets.h>
        #include <unistd.h>
        #include <stdio.h>

        int main(void) {
            static char buf[65536];
            struct sockaddr_vm addr = { .svm_family = AF_VSOCK, .svm_port = 5252, .svm_cid = VMADDR_CID_ANY };
            int s = socket(AF_VSOCK, SOCK_STREAM, 0);
            if (s < 0 || bind(s, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(s, 4) < 0) {
                perror("VSOCK-ECHO-FAILED");
                for (;;) pause();
            }
            printf("VSOCK-ECHO-READY\n");
            fflush(stdout);
            for (;;) {
                int c = accept(s, 0, 0);
                if (c < 0) continue;
                ssize_t n;
                while ((n = read(c, buf, sizeof buf)) > 0) {
                    for (ssize_t off = 0; off < n; ) {
                        ssize_t w = write(c, buf + off, n - off);
                        if (w <= 0) { n = -1; break; }
                        off += w;
                    }
                    if (n < 0) break;
                }
                close(c);
            }
        }
        """;

    [Fact]
    [Trait("Category", "Slow")]
    public async Task FormationVmm_GuestEchoesOneMebibyteOverVsock()
    {
        Prerequisites.RequireKvm("formation-vmm boots the guest kernel on /dev/kvm");
        GuestKernel.RequireBuilt();
        Prerequisites.Require(Tools.Exists("gcc") && File.Exists("/usr/include/linux/vm_sockets.h"),
            "gcc and the Linux headers are needed to build the guest's vsock echo server (Debian packages gcc, linux-libc-dev)");
        using var dir = Tools.CreateTempDir();
        File.WriteAllText(dir.File("echo.c"), EchoServer);
        Tools.Run("gcc", "-static", "-O2", "-o", dir.File("echo"), dir.File("echo.c"));
        using (var initrd = File.Create(dir.File("initrd.cpio")))
        {
            var cpio = new CpioWriter(initrd);
            cpio.Directory("dev");
            cpio.CharDevice("dev/console", 5, 1);
            cpio.File("init", File.ReadAllBytes(dir.File("echo")), executable: true);
            cpio.Finish();
        }

        File.WriteAllText(dir.File("vm.json"), VmmProtocol.SerializeConfig(new VmmConfig
        {
            Kernel = GuestKernel.Vmlinux,
            Initrd = "initrd.cpio",
            Cmdline = "console=ttyS0 panic=-1 quiet",
            MemoryMiB = 256,
            ConsoleLog = "console.log",
            ControlSocket = "vm.sock",
            PidFile = "vm.pid",
            Vsock = new VsockConfig(3, "vsock.sock"),
        }));
        var psi = new ProcessStartInfo(Path.Combine(AppContext.BaseDirectory, "formation-vmm")) { WorkingDirectory = dir.Path };
        foreach (var arg in new[] { "--config", dir.File("vm.json"), "--log", dir.File("vmm.log"), "--no-setsid" })
        {
            psi.ArgumentList.Add(arg);
        }

        // Jailed as the kvm driver runs it where the test may: the VM's own uid (from root) and the seccomp allow-list (always).
        var jailed = Environment.UserName == "root";
        if (jailed)
        {
            psi.ArgumentList.Add("--run-as");
            psi.ArgumentList.Add($"{VmUid}:{VmUid}");
        }

        using var process = Process.Start(psi)!;
        try
        {
            var deadline = DateTime.UtcNow + BootTimeout;
            var booted = Stopwatch.StartNew();
            while (!Read(dir, "console.log").Contains(Ready, StringComparison.Ordinal))
            {
                Assert.False(process.HasExited, $"formation-vmm exited with {(process.HasExited ? process.ExitCode : 0)}; log:\n{Read(dir, "vmm.log")}\nconsole:\n{Read(dir, "console.log")}");
                Assert.True(DateTime.UtcNow < deadline, $"no {Ready} within {BootTimeout}; console:\n{Read(dir, "console.log")}");
                await Task.Delay(200, TestContext.Current.CancellationToken);
            }

            booted.Stop();
            var status = File.ReadAllLines($"/proc/{process.Id}/status");
            Assert.Contains("Seccomp:\t2", status);
            if (jailed)
            {
                Assert.Contains($"Uid:\t{VmUid}\t{VmUid}\t{VmUid}\t{VmUid}", status);
            }

            var data = RandomNumberGenerator.GetBytes(1 << 20);
            var transfer = Stopwatch.StartNew();
            await using var stream = await HybridVsock.ConnectAsync(dir.File("vsock.sock"), Port, TestContext.Current.CancellationToken);
            var echoed = new byte[data.Length];
            var read = stream.ReadExactlyAsync(echoed, TestContext.Current.CancellationToken).AsTask();
            await stream.WriteAsync(data, TestContext.Current.CancellationToken);
            ((System.Net.Sockets.NetworkStream)stream).Socket.Shutdown(System.Net.Sockets.SocketShutdown.Send);
            await read.WaitAsync(TimeSpan.FromMinutes(5), TestContext.Current.CancellationToken);
            Assert.True(data.AsSpan().SequenceEqual(echoed), "the echoed mebibyte differs from the one sent");
            Assert.Equal(0, await stream.ReadAsync(new byte[1], TestContext.Current.CancellationToken).AsTask().WaitAsync(TimeSpan.FromMinutes(1), TestContext.Current.CancellationToken));
            transfer.Stop();
            TestContext.Current.TestOutputHelper?.WriteLine(
                $"vsock echo: boot to {Ready} {booted.Elapsed.TotalSeconds:F1} s; 1 MiB each way in {transfer.Elapsed.TotalSeconds:F2} s");

            var info = await ControlSocket.SendAsync(dir.File("vm.sock"), new InfoRequest());
            var device = Assert.Single(info.Devices, d => d.Key.StartsWith("virtio-19@", StringComparison.Ordinal));
            Assert.DoesNotContain("failed", device.Value);
            Assert.Equal(MachineState.Running, info.State);
            Assert.DoesNotContain("guest error", Read(dir, "vmm.log"));
            Assert.Contains("seccomp allow-list", Read(dir, "vmm.log"));

            await ControlSocket.SendAsync(dir.File("vm.sock"), new KillRequest());
            await process.WaitForExitAsync(TestContext.Current.CancellationToken);
            Assert.Equal((int)ExitReason.Killed, process.ExitCode);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill();
            }
        }
    }

    private static string Read(Tools.TempDir dir, string file)
    {
        if (!File.Exists(dir.File(file)))
        {
            return "";
        }

        using var s = new FileStream(dir.File(file), FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        return new StreamReader(s).ReadToEnd();
    }
}
