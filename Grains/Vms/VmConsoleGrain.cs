using Formation.Errors;
using Formation.Grains.Hosting;
using Formation.Grains.Placement;
using Formation.Vms;

namespace Formation.Grains.Vms;

/// <summary>
/// Relays a VM's console between clients and the node's hypervisor host. Stateless; readers do not block each other.
/// Only callers that may act on the VM get through (<see cref="VmOwnerCheck"/>).
/// </summary>
[HostAffinityPlacement]
[Reentrant]
public sealed class VmConsoleGrain(IVmHost host) : Grain, IVmConsoleGrain
{
    private const int MaxChunk = 256 * 1024;

    private string VmId => GrainKeys.VmIdOf(this.GetPrimaryKeyString());

    private VmOwnerCheck? _owner;

    private Task RequireOwnerAsync() => (_owner ??= new VmOwnerCheck(GrainFactory, this.GetPrimaryKeyString())).RequireAsync();

    public async Task<ConsoleChunk> ReadAsync(long offset, int max, TimeSpan wait)
    {
        await RequireOwnerAsync();
        var console = Console();
        max = Math.Clamp(max, 1, MaxChunk);
        var length = console.ConsoleLength(VmId);
        if (offset < 0)
        {
            offset = Math.Max(0, length + offset);
        }

        var deadline = DateTime.UtcNow + TimeSpan.FromMilliseconds(Math.Clamp(wait.TotalMilliseconds, 0, 30_000));
        while (true)
        {
            var chunk = await console.ReadConsoleAsync(VmId, offset, max, CancellationToken.None);
            if (chunk.Data.Length > 0 || DateTime.UtcNow >= deadline)
            {
                return chunk;
            }

            offset = chunk.Offset;

            await Task.Delay(50);
        }
    }

    public async Task WriteAsync(byte[] data)
    {
        await RequireOwnerAsync();
        await Console().WriteConsoleAsync(VmId, data, CancellationToken.None);
    }

    private IVmConsoleHost Console() =>
        host.Console ?? throw new FormationException(ErrorKind.Conflict,
            $"VM {VmId} runs on the '{host.DriverName}' driver, which has no console.");
}
