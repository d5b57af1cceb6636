using System.Security.Cryptography;
using Formation.Kvm.Native.Memory;

namespace Formation.Kvm.Native.Devices.Virtio;

/// <summary>virtio-rng (entropy source): fills every writable buffer from the host's CSPRNG.</summary>
public sealed class VirtioRng(GuestMemory memory) : IStatefulVirtioDevice
{
    public const int MaxBytesPerRequest = 64 * 1024;

    private IVirtioQueueHost? _host;
    private Virtqueue[] _queues = [];

    public uint DeviceId => VirtioIds.Rng;

    public ulong Features => 0;

    public int QueueCount => 1;

    public ushort QueueMaxSize => 64;

    public long BytesServed { get; private set; }

    public void ReadConfig(ulong offset, Span<byte> data) => data.Clear();

    public void WriteConfig(ulong offset, ReadOnlySpan<byte> data)
    {
    }

    public VirtioDeviceState SaveState() => new VirtioRngState();

    public void RestoreState(VirtioDeviceState state)
    {
        if (state is not VirtioRngState)
        {
            throw new InvalidDataException($"virtio-rng: the snapshot's device state is {state}");
        }
    }

    public void Activate(IVirtioQueueHost host, Virtqueue[] queues, ulong acceptedFeatures)
    {
        _host = host;
        _queues = queues;
    }

    public void Notify(int queue)
    {
        if (_host is null)
        {
            return;
        }

        var q = _queues[0];
        Span<byte> random = stackalloc byte[256];
        var any = false;
        while (q.TryPop(out var chain))
        {
            var total = (int)Math.Min(chain.WritableLength, MaxBytesPerRequest);
            var done = 0;
            while (done < total)
            {
                var chunk = random[..Math.Min(random.Length, total - done)];
                RandomNumberGenerator.Fill(chunk);
                done += ChainIo.Write(memory, chain, done, chunk);
            }

            BytesServed += done;
            q.PushUsed(chain.Head, (uint)done);
            any = true;
        }

        if (any)
        {
            _host.SignalUsed(q);
        }
    }

    public void Reset() => _host = null;
}
