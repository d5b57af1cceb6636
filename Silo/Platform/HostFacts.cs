using System.Net;

namespace Formation.Silo.Platform;

/// <summary>What this machine is: CPUs, memory, disk, and whether /dev/kvm opens and on what kind of virtualization.</summary>
public sealed record HostFacts(string HostName, int CpuCount, long MemoryMiB, long DiskGiB, bool KvmAvailable, KvmKind KvmKind, string KvmDetail)
{
    public static HostFacts Probe(string dataDirectory)
    {
        var (kvmOpens, kvmError) = ProbeKvm();
        var cpuFlags = ReadCpuFlags();
        var hardware = cpuFlags.Contains("vmx") || cpuFlags.Contains("svm");
        var kind = !kvmOpens ? KvmKind.None : hardware ? KvmKind.Hardware : KvmKind.NestedPvm;
        var detail = kind switch
        {
            KvmKind.Hardware => "/dev/kvm opens; CPU has " + (cpuFlags.Contains("vmx") ? "VT-x (vmx)" : "AMD-V (svm)"),
            KvmKind.NestedPvm => "/dev/kvm opens but the CPU shows no vmx/svm flag: software-assisted (nested PVM) KVM",
            _ => "/dev/kvm: " + kvmError,
        };
        return new HostFacts(System.Net.Dns.GetHostName(), Environment.ProcessorCount, ReadMemTotalMiB(), DiskGiBOf(dataDirectory), kvmOpens, kind, detail);
    }

    private static (bool Opens, string Error) ProbeKvm()
    {
        try
        {
            using var handle = File.OpenHandle("/dev/kvm", FileMode.Open, FileAccess.ReadWrite);
            return (true, "");
        }
        catch (FileNotFoundException)
        {
            return (false, "not present (no KVM module loaded)");
        }
        catch (UnauthorizedAccessException)
        {
            return (false, "permission denied (add the user to the kvm group)");
        }
        catch (IOException ex)
        {
            return (false, ex.Message);
        }
    }

    /// <summary>True when an executable of that name is on PATH.</summary>
    public static bool OnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Any(dir => File.Exists(Path.Combine(dir, program)));

    internal static HashSet<string> ReadCpuFlags()
    {
        try
        {
            var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("flags", StringComparison.Ordinal));
            return line is null ? [] : [.. line[(line.IndexOf(':') + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries)];
        }
        catch (IOException)
        {
            return [];
        }
    }

    private static long ReadMemTotalMiB()
    {
        try
        {
            var line = File.ReadLines("/proc/meminfo").First(l => l.StartsWith("MemTotal:", StringComparison.Ordinal));
            var kib = long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);
            return kib / 1024;
        }
        catch (Exception ex) when (ex is IOException or FormatException or InvalidOperationException)
        {
            return 0;
        }
    }

    private static long DiskGiBOf(string path)
    {
        try
        {
            return new DriveInfo(Path.GetFullPath(path)).TotalSize / (1L << 30);
        }
        catch (Exception ex) when (ex is IOException or ArgumentException or UnauthorizedAccessException)
        {
            return 0;
        }
    }
}
