using Formation.Errors;
using Formation.Grains.Common;
using Formation.Identity;
using Formation.Networking;

namespace Formation.Grains.Networking;

/// <summary>
/// The mesh's user devices, a row each. Non-reentrant: names, keys and addresses are handed out serially.
/// Devices are the admins': a device is a WireGuard peer of every node and reaches every VM on the overlay, whichever
/// account owns it, so a member may neither join nor remove one, and sees none.
/// </summary>
public sealed class NetDevicesGrain(IStateRowStore rows, TimeProvider clock) : Grain, INetDevicesGrain
{
    private PersistentRowMap<NetDevice> _devices = null!;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _devices = new PersistentRowMap<NetDevice>(rows, "net-devices", this.GetPrimaryKeyString(), DeactivateOnIdle);
        return _devices.LoadAsync(cancellationToken);
    }

    public async Task<NetDevice> JoinAsync(string name, string publicKey)
    {
        RequireAdmin("form net join");
        Names.RequireDnsLabel(name, "Device name");
        if (!IsWireGuardKey(publicKey))
        {
            throw FormationException.Invalid("The device's public key is not a WireGuard key (44 characters of base64, as 'wg pubkey' prints).");
        }

        if (_devices.TryGetValue(name, out _))
        {
            throw FormationException.Conflict($"A device named '{name}' is already in the mesh; choose another name or run 'form net leave {name}' first.");
        }

        if (_devices.Items.Values.FirstOrDefault(d => d.PublicKey == publicKey) is { } twin)
        {
            throw FormationException.Conflict($"That public key already belongs to device '{twin.Name}'.");
        }

        var used = _devices.Items.Values.Select(d => d.Address).ToHashSet(StringComparer.Ordinal);
        var plan = NetworkPlan.Devices;
        for (var i = 0; i < plan.HostCount; i++)
        {
            var address = plan.VmAddress(i).ToString();
            if (!used.Contains(address))
            {
                var device = new NetDevice(name, publicKey, address, clock.GetUtcNow());
                _devices.Set(name, device);
                await _devices.FlushAsync();
                return device;
            }
        }

        throw new FormationException(ErrorKind.NoCapacity, $"All {plan.HostCount} device addresses of {plan} are taken; remove a device with 'form net leave'.");
    }

    public async Task LeaveAsync(string name)
    {
        RequireAdmin("form net leave");
        if (!_devices.Remove(name, out _))
        {
            throw FormationException.NotFound($"No device named '{name}' is in the mesh ('form net devices' lists them).");
        }

        await _devices.FlushAsync();
    }

    public Task<IReadOnlyList<NetDevice>> ListAsync() =>
        Task.FromResult<IReadOnlyList<NetDevice>>(CallerContext.CurrentOrSystem.IsAdmin
            ? _devices.Items.Values.OrderBy(d => d.Name, StringComparer.Ordinal).ToList()
            : []);

    /// <summary>A device reaches every account's VMs: only admins (and the silo's own work) may add or remove one.</summary>
    private static void RequireAdmin(string command)
    {
        var caller = CallerContext.CurrentOrSystem;
        if (!caller.IsAdmin)
        {
            throw new FormationException(ErrorKind.PermissionDenied,
                $"`{command}` is for admins, and account '{caller.Account}' is a member: a device joins the whole fabric's network " +
                "(it reaches every account's VMs), so ask an admin to join it.");
        }
    }

    private static bool IsWireGuardKey(string? key)
    {
        if (key is not { Length: 44 } || !key.EndsWith('='))
        {
            return false;
        }

        Span<byte> bytes = stackalloc byte[33];
        return Convert.TryFromBase64String(key, bytes, out var written) && written == 32;
    }
}
