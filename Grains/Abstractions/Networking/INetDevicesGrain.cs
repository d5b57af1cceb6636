namespace Formation.Networking;

/// <summary>
/// The user devices of the mesh (key: <see cref="GrainKeys.Cluster"/>). Every node's mesh agent makes each device a
/// peer; a device leaves everywhere when it is removed here.
/// </summary>
[Alias("formation.net-devices")]
public interface INetDevicesGrain : IGrainWithStringKey
{
    /// <summary>Adds a device with its public key and gives it an address; Conflict when the name or key is taken.</summary>
    [Alias("join")]
    [Mutating]
    Task<NetDevice> JoinAsync(string name, string publicKey);

    /// <summary>Removes the device; NotFound when there is none of that name.</summary>
    [Alias("leave")]
    [Mutating]
    Task LeaveAsync(string name);

    /// <summary>Every device, by name.</summary>
    [Alias("list")]
    [NonMutating]
    Task<IReadOnlyList<NetDevice>> ListAsync();
}
