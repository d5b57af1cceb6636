namespace Formation.Kvm.Native.Devices.Virtio;

/// <summary>Virtio 1.x constants: device ids, status bits, common feature bits, descriptor flags.</summary>
public static class VirtioIds
{
    public const uint Net = 1, Block = 2, Console = 3, Rng = 4, Vsock = 19;

    public const uint StatusAcknowledge = 1, StatusDriver = 2, StatusDriverOk = 4, StatusFeaturesOk = 8,
        StatusDeviceNeedsReset = 0x40, StatusFailed = 0x80;

    public const int FeatureVersion1 = 32;

    public const ushort DescFlagNext = 1, DescFlagWrite = 2, DescFlagIndirect = 4;

    public const ushort AvailFlagNoInterrupt = 1;

    public const uint InterruptUsedBuffer = 1, InterruptConfigChange = 2;
}
