using Formation.Kvm.Native.Interop;
using Microsoft.Extensions.Logging;

namespace Formation.Vmm;

/// <summary>
/// What formation-vmm gives up once its VM is set up, before the guest's first instruction: root (it becomes
/// <see cref="Uid"/>:<see cref="Gid"/> with no groups and no capabilities; everything it needs — /dev/kvm, the VM and vCPU
/// descriptors, TAP, disk, console log, control socket — is open by then) and the system calls outside
/// <see cref="VmmSeccompPolicy"/>.
/// </summary>
internal sealed record VmmJail(uint? Uid, uint? Gid, bool Seccomp)
{
    public void Apply(ILogger logger)
    {
        if (Uid is { } uid)
        {
            Sys.DropPrivileges(uid, Gid ?? uid);
        }

        if (Seccomp)
        {
            Formation.Kvm.Native.Interop.Seccomp.Install(Formation.Kvm.Native.Interop.Seccomp.Compile(VmmSeccompPolicy.Rules));
        }

        logger.LogInformation("jail: {User}, seccomp {Seccomp}", Uid is null ? "still uid 0" : $"uid {Uid}, gid {Gid ?? Uid}",
            Seccomp ? $"allow-list of {VmmSeccompPolicy.Rules.Count} calls" : "off");
    }
}
