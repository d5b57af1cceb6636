using Formation.Formfiles;
using Formation.Vms;

namespace Formation.Silo.HttpApi;

/// <summary>The body of <c>POST /v1/vms</c>: the fields of <c>form vm create</c>.</summary>
public sealed record CreateVmRequest(
    string Name,
    int VCpus,
    long MemoryMiB,
    long DiskGiB = 10,
    string? Image = null,
    string? Node = null,
    RestartPolicy Restart = RestartPolicy.Never,
    ConsoleMode? Console = null,
    bool NoEgress = false,
    IReadOnlyList<string>? Publish = null)
{
    /// <summary>The spec the catalog gets; <paramref name="idempotencyKey"/> (the Idempotency-Key header) becomes its request id.</summary>
    /// <remarks>
    /// <see cref="Publish"/> holds <c>HOSTPORT:GUESTPORT[/udp]</c> strings. The spec is checked here, so a client is told
    /// about its JSON fields (<c>vCpus</c>), not the CLI's flags (<c>--vcpus</c>) the catalog's check names.
    /// </remarks>
    public VmSpec ToSpec(string? idempotencyKey)
    {
        var spec = new VmSpec(Name, VCpus, MemoryMiB, DiskGiB, Image, Node, Restart, Console: Console, RequestId: idempotencyKey,
            NoEgress: NoEgress, Publish: VmSpecRules.ParsePublishForApi(Publish));
        VmSpecRules.ValidateForApi(spec);
        return spec;
    }
}
