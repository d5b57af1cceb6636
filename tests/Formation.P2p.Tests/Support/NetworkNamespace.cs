using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Formation.P2p.Tests.Support;

/// <summary>
/// A throw-away network namespace (<c>ip netns add</c>) whose loopback carries multicast, so mDNS never leaves it.
/// Sockets can be created inside it from this process with <see cref="Run"/> (setns on a dedicated thread).
/// </summary>
public sealed partial class NetworkNamespace : IDisposable
{
    private const int CloneNewNet = 0x40000000;

    private NetworkNamespace(string name)
    {
        Name = name;
    }

    /// <summary>The namespace name.</summary>
    public string Name { get; }

    /// <summary>Creates the namespace with lo up, multicast on, and 224.0.0.0/4 routed to lo.</summary>
    public static NetworkNamespace Create()
    {
        var ns = new NetworkNamespace($"fp2p-{Environment.ProcessId}-{Random.Shared.Next(100000)}");
        Ip("netns", "add", ns.Name);
        ns.Exec("ip", "link", "set", "lo", "up");
        ns.Exec("ip", "link", "set", "lo", "multicast", "on");
        ns.Exec("ip", "route", "add", "224.0.0.0/4", "dev", "lo");
        return ns;
    }

    /// <summary>The command prefix that runs a program inside the namespace.</summary>
    public IReadOnlyList<string> Wrapper => ["ip", "netns", "exec", Name];

    /// <summary>Runs <paramref name="action"/> on a thread that has entered the namespace; sockets it creates stay in it.</summary>
    public void Run(Action action)
    {
        Exception? error = null;
        var thread = new Thread(() =>
        {
            using var original = File.OpenHandle("/proc/thread-self/ns/net");
            using var target = File.OpenHandle($"/run/netns/{Name}");
            if (SetNs((int)target.DangerousGetHandle(), CloneNewNet) != 0)
            {
                error = new InvalidOperationException($"setns failed: errno {Marshal.GetLastPInvokeError()}");
                return;
            }

            try
            {
                action();
            }
            catch (Exception e)
            {
                error = e;
            }
            finally
            {
                SetNs((int)original.DangerousGetHandle(), CloneNewNet);
            }
        });
        thread.Start();
        thread.Join();
        if (error is not null)
        {
            throw error;
        }
    }

    /// <summary>Deletes the namespace.</summary>
    public void Dispose() => Ip("netns", "delete", Name);

    private void Exec(params string[] command) => Ip(["netns", "exec", Name, .. command]);

    private static void Ip(params string[] args)
    {
        var psi = new ProcessStartInfo("ip") { RedirectStandardError = true };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"ip {string.Join(' ', args)} failed: {err}");
        }
    }

    [LibraryImport("libc", EntryPoint = "setns", SetLastError = true)]
    private static partial int SetNs(int fd, int nstype);
}
