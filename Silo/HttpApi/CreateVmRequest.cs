using Formation.Formfiles;
using Formation.Vms;

namespace Formation.Silo.HttpApi;

/// <summary>
/// The body of <c>POST /v1/vms</c>: the fields of <c>form vm create</c>. With <see cref="FromSnapshot"/> the VM is a
/// clone of that snapshot, and the sizes left out (0) are the snapshot's.
/// </summary>
public sealed record CreateVmRequest(
    string Name,
    int VCpus = 0,
    long MemoryMiB = 0,
    long? DiskGiB = null,
    string? Image = null,
    string? Node = null,
    RestartPolicy Restart = RestartPolicy.Never,
    ConsoleMode? Console = null,
    bool NoEgress = false,
    IReadOnlyList<string>? Publish = null,
    string? FromSnapshot = null)
{
    /// <summary>The spec the catalog gets; <paramref name="idempotencyKey"/> (the Idempotency-Key header) becomes its request id.</summary>
    /// <remarks>
    /// <see cref="Publish"/> holds <c>HOSTPORT:GUESTPORT[/udp]</c> strings. The spec is checked here, so a client is told
    /// about its JSON fields (<c>vCpus</c>), not the CLI's flags (<c>--vcpus</c>) the catalog's check names.
    /// </remarks>
    public VmSpec ToSpec(string? idempotencyKey)
    {
        var spec = new VmSpec(Name, VCpus, MemoryMiB, DiskGiB ?? (FromSnapshot is null ? 10 : 0), Image, Node, Restart, Console: Console,
            RequestId: idempotencyKey, NoEgress: NoEgress, Publish: VmSpecRules.ParsePublishForApi(Publish), FromSnapshot: FromSnapshot);
        if (FromSnapshot is null)
        {
            VmSpecRules.ValidateForApi(spec); // a clone's spec is complete only once the catalog has found its snapshot
        }

        return spec;
    }
}
