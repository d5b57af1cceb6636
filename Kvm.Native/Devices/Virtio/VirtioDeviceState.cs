using System.Text.Json.Serialization;

namespace Formation.Kvm.Native.Devices.Virtio;

/// <summary>
/// The device-specific part of a virtio device's snapshot (the transport keeps the rest, <see cref="VirtioMmioState"/>).
/// One record per device kind, named by <c>"kind"</c> in the snapshot; a new device adds its record here and implements
/// <see cref="IStatefulVirtioDevice"/>.
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "kind", UnknownDerivedTypeHandling = JsonUnknownDerivedTypeHandling.FailSerialization)]
[JsonDerivedType(typeof(VirtioBlockState), "block")]
[JsonDerivedType(typeof(VirtioNetState), "net")]
[JsonDerivedType(typeof(VirtioRngState), "rng")]
[JsonDerivedType(typeof(VirtioVsockState), "vsock")]
public abstract record VirtioDeviceState;
