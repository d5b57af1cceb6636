using System.Diagnostics;
using System.Net.Sockets;
using System.Security.Cryptography;
using Formation.Kvm.Native.Tests.Support;
using Formation.Vmm.Protocol;

namespace Formation.Bench.Vmm;

/// <summary>
/// <c>--vsock</c>: echo throughput through formation-vmm's virtio-vsock device (hybrid Unix socket) against its anchor in
/// the same run, the same guest and the same echo server: TCP over the VM's virtio-net (a TAP with a /30 on the host).
/// The guest's /init is a static C server (gcc) answering both on vsock port 5252 and TCP port 5252; rounds alternate.
/// Needs root (the TAP), gcc and /dev/kvm.
/// </summary>
internal static class VsockBench
{
    private const string Tap = "fmvsbench0", HostIp = "10.253.77.1", GuestIp = "10.253.77.2";
    private const int Port = 5252, Bytes = 1 << 20;

    private const string Server = """
        #include <sys/socket.h>
        #include <linux/vm_sockets.h>
        #include <netinet/in.h>
        #include <poll.h>
        #include <unistd.h>
        #include <stdio.h>

        static char buf[65536];

        static void echo(int c) {
            ssize_t n;
            while ((n = read(c, buf, sizeof buf)) > 0)
                for (ssize_t off = 0; off < n; ) {
                    ssize_t w = write(c, buf + off, n - off);
                    if (w <= 0) { close(c); return; }
                    off += w;
                }
            close(c);
        }

        int main(void) {
            struct sockaddr_vm va = { .svm_family = AF_VSOCK, .svm_port = 5252, .svm_cid = VMADDR_CID_ANY };
            struct sockaddr_in ta = { .sin_family = AF_INET, .sin_port = htons(5252), .sin_addr.s_addr = htonl(INADDR_ANY) };
            int v = socket(AF_VSOCK, SOCK_STREAM, 0), t = socket(AF_INET, SOCK_STREAM, 0), one = 1;
            setsockopt(t, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
            if (bind(v, (struct sockaddr *)&va, sizeof va) || listen(v, 4) || bind(t, (struct sockaddr *)&ta, sizeof ta) || listen(t, 4)) {
                perror("VSOCK-BENCH-FAILED");
                for (;;) pause();
            }
            printf("VSOCK-BENCH-READY\n");
            fflush(stdout);
            for (;;) {
                struct pollfd p[2] = { { v, POLLIN, 0 }, { t, POLLIN, 0 } };
                if (poll(p, 2, -1) <= 0) continue;
                for (int i = 0; i < 2; i++)
                    if (p[i].revents & POLLIN) {
                        int c = accept(p[i].fd, 0, 0);
                        if (c >= 0) echo(c);
                    }
            }
        }
        """;

    public static async Task<int> RunAsync(string vmm, string kernel, int rounds)
    {
        var dir = Directory.CreateTempSubdirectory("formation-bench-vsock-").FullName;
        File.WriteAllText(Path.Combine(dir, "server.c"), Server);
        Run("gcc", "-static", "-O2", "-o", Path.Combine(dir, "server"), Path.Combine(dir, "server.c"));
        var initrd = Path.Combine(dir, "initrd.cpio");
        using (var file = File.Create(initrd))
        {
            var cpio = new CpioWriter(file);
            cpio.Directory("dev");
            cpio.CharDevice("dev/console", 5, 1);
            cpio.File("init", File.ReadAllBytes(Path.Combine(dir, "server")), executable: true);
            cpio.Finish();
        }

        var console = Path.Combine(dir, "console.log");
        var socket = Path.Combine(dir, "vsock.sock");
        File.WriteAllText(Path.Combine(dir, "vm.json"), VmmProtocol.SerializeConfig(new VmmConfig
        {
            Kernel = kernel, Initrd = initrd, MemoryMiB = 256, Rng = false, ConsoleLog = console,
            Cmdline = $"console=ttyS0 panic=-1 quiet ip={GuestIp}::{HostIp}:255.255.255.252::eth0:off",
            Nets = [new NetConfig(Tap, "02:00:00:77:00:02")],
            Vsock = new VsockConfig(3, socket),
        }));
        var psi = new ProcessStartInfo(vmm) { ArgumentList = { "--config", Path.Combine(dir, "vm.json"), "--log", Path.Combine(dir, "vmm.log"), "--no-setsid" } };
        Console.WriteLine($"vsock vs virtio-net TCP echo, {Bytes >> 20} MiB each way per round, {rounds} rounds alternating; load {File.ReadAllText("/proc/loadavg").Trim()}");
        using var process = Process.Start(psi)!;
        try
        {
            var boot = Stopwatch.StartNew();
            while (!Read(console).Contains("VSOCK-BENCH-READY", StringComparison.Ordinal))
            {
                if (process.HasExited || boot.Elapsed > TimeSpan.FromMinutes(8))
                {
                    Console.Error.WriteLine($"the guest did not come up; console:\n{Read(console)}\nlog:\n{Read(Path.Combine(dir, "vmm.log"))}");
                    return 1;
                }

                await Task.Delay(200);
            }

            Console.WriteLine($"guest ready after {boot.Elapsed.TotalSeconds:F1} s");
            Run("ip", "addr", "replace", $"{HostIp}/30", "dev", Tap);
            Run("ip", "link", "set", Tap, "up");
            var data = RandomNumberGenerator.GetBytes(Bytes);
            var vsock = new List<double>();
            var tcp = new List<double>();
            for (var round = 0; round < rounds; round++)
            {
                foreach (var kind in round % 2 == 0 ? new[] { "vsock", "tcp" } : ["tcp", "vsock"])
                {
                    var watch = Stopwatch.StartNew();
                    await using var stream = kind == "vsock"
                        ? await HybridVsock.ConnectAsync(socket, Port, CancellationToken.None)
                        : await ConnectTcpAsync();
                    await EchoAsync(stream, data);
                    var seconds = watch.Elapsed.TotalSeconds;
                    (kind == "vsock" ? vsock : tcp).Add(seconds);
                    Console.WriteLine($"  round {round + 1} {kind,-5} {seconds,7:F2} s  {2.0 * Bytes / seconds / 1024:F0} KiB/s (both directions)");
                }
            }

            var v = Median(vsock);
            var t = Median(tcp);
            Console.WriteLine($"median: vsock {v:F2} s, virtio-net TCP {t:F2} s; vsock / TCP time {v / t:F2}; load {File.ReadAllText("/proc/loadavg").Trim()}");
            return 0;
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill();
            }

            Directory.Delete(dir, recursive: true);
        }
    }

    private static async Task<Stream> ConnectTcpAsync()
    {
        var client = new TcpClient();
        await client.ConnectAsync(GuestIp, Port);
        return client.GetStream();
    }

    /// <summary>Writes the data, half-closes, reads it all back, checks it.</summary>
    private static async Task EchoAsync(Stream stream, byte[] data)
    {
        var echoed = new byte[data.Length];
        var read = stream.ReadExactlyAsync(echoed).AsTask();
        await stream.WriteAsync(data);
        ((NetworkStream)stream).Socket.Shutdown(SocketShutdown.Send);
        await read.WaitAsync(TimeSpan.FromMinutes(10));
        if (!data.AsSpan().SequenceEqual(echoed))
        {
            throw new InvalidOperationException("the echo differs from what was sent");
        }
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }

    private static void Run(string file, params string[] args)
    {
        using var p = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardError = true })!;
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed: {stderr}");
        }
    }

    private static string Read(string path)
    {
        if (!File.Exists(path))
        {
            return "";
        }

        using var s = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        return new StreamReader(s).ReadToEnd();
    }
}
