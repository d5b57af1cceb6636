using Formation.Kvm.Native.Memory;

namespace Formation.Kvm.Native.Devices.Virtio;

/// <summary>
/// virtio-net with one receive and one transmit queue, a MAC address and link status; no offloads, so
/// the 12-byte virtio_net_hdr is all zeros. Transmit runs on the notifying vCPU thread; a receive
/// thread moves frames from the backend into posted receive buffers (it holds a frame until the
/// driver posts a buffer, dropping it after a second).
/// </summary>
public sealed class VirtioNet : IStatefulVirtioDevice, IDisposable
{
    public const int HeaderSize = 12;
    public const int MaxFrame = 65550;
    public const int FeatureMac = 5, FeatureStatus = 16;
    public const int RxQueue = 0, TxQueue = 1;

    private readonly GuestMemory _memory;
    private readonly INetBackend _backend;
    private readonly byte[] _mac;
    private readonly byte[] _txBuffer = new byte[HeaderSize + MaxFrame];
    private readonly ManualResetEventSlim _rxPosted = new(false);
    private readonly Thread _rxThread;
    private volatile bool _stopping;
    private IVirtioQueueHost? _host;
    private Virtqueue[] _queues = [];
    private long _txFrames, _rxFrames, _rxDropped;

    public VirtioNet(GuestMemory memory, INetBackend backend, byte[] mac)
    {
        if (mac.Length != 6)
        {
            throw new ArgumentException("a MAC address has 6 bytes", nameof(mac));
        }

        _memory = memory;
        _backend = backend;
        _mac = mac;
        _rxThread = new Thread(ReceiveLoop) { IsBackground = true, Name = "virtio-net rx" };
    }

    public uint DeviceId => VirtioIds.Net;

    public ulong Features => (1UL << FeatureMac) | (1UL << FeatureStatus);

    public int QueueCount => 2;

    public ushort QueueMaxSize => 256;

    public long TxFrames => Interlocked.Read(ref _txFrames);

    public long RxFrames => Interlocked.Read(ref _rxFrames);

    public long RxDropped => Interlocked.Read(ref _rxDropped);

    /// <summary>Starts the receive thread (once the device is on its transport).</summary>
    public void Start() => _rxThread.Start();

    public void ReadConfig(ulong offset, Span<byte> data)
    {
        // struct virtio_net_config: u8 mac[6]; u16 status (1 = link up).
        Span<byte> config = [_mac[0], _mac[1], _mac[2], _mac[3], _mac[4], _mac[5], 1, 0];
        data.Clear();
        if (offset < (ulong)config.Length)
        {
            var n = Math.Min(data.Length, config.Length - (int)offset);
            config.Slice((int)offset, n).CopyTo(data);
        }
    }

    public void WriteConfig(ulong offset, ReadOnlySpan<byte> data)
    {
    }

    public VirtioDeviceState SaveState() => new VirtioNetState(Convert.ToHexString(_mac));

    /// <summary>
    /// The MAC the guest's driver read is kept by the guest; a clone restored with another MAC (told to the guest by other
    /// means) still works, since the device does not filter on it. Only the kind of state is checked.
    /// </summary>
    public void RestoreState(VirtioDeviceState state)
    {
        if (state is not VirtioNetState { Mac: { Length: 12 } mac } || !mac.All(Uri.IsHexDigit))
        {
            throw new InvalidDataException($"virtio-net: the snapshot's device state is {state}, not a MAC address");
        }
    }

    public void Activate(IVirtioQueueHost host, Virtqueue[] queues, ulong acceptedFeatures)
    {
        _host = host;
        _queues = queues;
        _rxPosted.Set();
    }

    public void Notify(int queue)
    {
        if (_host is null)
        {
            return;
        }

        if (queue == RxQueue)
        {
            _rxPosted.Set();
            return;
        }

        var q = _queues[TxQueue];
        var any = false;
        while (q.TryPop(out var chain))
        {
            var length = (int)Math.Min(chain.ReadableLength, _txBuffer.Length);
            var n = ChainIo.Read(_memory, chain, 0, _txBuffer.AsSpan(0, length));
            if (n > HeaderSize && _backend.TryWrite(_txBuffer.AsSpan(HeaderSize, n - HeaderSize)))
            {
                Interlocked.Increment(ref _txFrames);
            }

            q.PushUsed(chain.Head, 0);
            any = true;
        }

        if (any)
        {
            _host.SignalUsed(q);
        }
    }

    public void Reset() => _host = null;

    public void Dispose()
    {
        _stopping = true;
        _backend.Wake();
        _rxPosted.Set();
        if (_rxThread.IsAlive)
        {
            _rxThread.Join(TimeSpan.FromSeconds(2));
        }

        _backend.Dispose();
    }

    private void ReceiveLoop()
    {
        var frame = new byte[HeaderSize + MaxFrame];
        while (!_stopping)
        {
            var n = _backend.Read(frame.AsSpan(HeaderSize), 500);
            if (n < 0)
            {
                return;
            }

            if (n == 0)
            {
                continue;
            }

            frame.AsSpan(0, HeaderSize).Clear();
            frame[10] = 1; // num_buffers = 1 (part of the header with VIRTIO_F_VERSION_1)
            var deadline = Environment.TickCount64 + 1000;
            while (!_stopping && !TryDeliver(frame.AsSpan(0, HeaderSize + n)))
            {
                var left = deadline - Environment.TickCount64;
                if (left <= 0)
                {
                    Interlocked.Increment(ref _rxDropped);
                    break;
                }

                _rxPosted.Wait((int)left);
                _rxPosted.Reset();
            }
        }
    }

    /// <summary>Copies one frame into the next receive buffer; false when the driver has posted none.</summary>
    private bool TryDeliver(ReadOnlySpan<byte> packet)
    {
        var host = _host;
        if (host is null)
        {
            Interlocked.Increment(ref _rxDropped);
            return true; // not active: drop
        }

        lock (host.SyncRoot)
        {
            if (_host is null)
            {
                return true;
            }

            try
            {
                var q = _queues[RxQueue];
                if (!q.TryPop(out var chain))
                {
                    return false;
                }

                var written = ChainIo.Write(_memory, chain, 0, packet);
                if (written < packet.Length)
                {
                    Interlocked.Increment(ref _rxDropped);
                }
                else
                {
                    Interlocked.Increment(ref _rxFrames);
                }

                q.PushUsed(chain.Head, (uint)written);
                host.SignalUsed(q);
                return true;
            }
            catch (VirtqueueException e)
            {
                host.Fail(e.Message);
                return true;
            }
        }
    }
}
