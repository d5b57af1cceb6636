namespace Formation.Kvm.Native.Machine;

/// <summary>
/// Detects a nested PVM host (KVM-NOTES §0): /dev/kvm works but the CPU has neither the vmx nor the svm
/// flag, so KVM is a software-assisted virtualizer (kvm_pvm) that emulates guest ring-0 code.
/// </summary>
public static class HostProbe
{
    /// <summary>True when the CPU flags in <paramref name="cpuinfo"/> contain neither vmx nor svm.</summary>
    public static bool LacksHardwareVirtualization(string cpuinfo)
    {
        foreach (var line in cpuinfo.Split('\n'))
        {
            if (!line.StartsWith("flags", StringComparison.Ordinal))
            {
                continue;
            }

            var flags = line[(line.IndexOf(':') + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return !flags.Contains("vmx") && !flags.Contains("svm");
        }

        return false;
    }

    /// <summary>The running host's answer (/proc/cpuinfo).</summary>
    public static bool IsNestedPvm()
    {
        try
        {
            return LacksHardwareVirtualization(File.ReadAllText("/proc/cpuinfo"));
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>
    /// Kernel command-line additions for nested PVM hosts: CPU features KVM cannot mask through CPUID
    /// there, and the KVM PTP clock whose clock-pairing hypercall never returns there.
    /// </summary>
    public const string PvmCommandLine =
        "noxsave nofsgsbase clearcpuid=cx16,smap,popcnt,rdpid,pcid,invpcid,movbe,abm,bmi1,bmi2,rdrand,rdseed "
        + "initcall_blacklist=ptp_kvm_init";
}
