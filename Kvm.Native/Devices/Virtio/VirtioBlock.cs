using System.Buffers.Binary;
using System.Text;
using Formation.Kvm.Native.Memory;

namespace Formation.Kvm.Native.Devices.Virtio;

/// <summary>
/// virtio-blk over an <see cref="IBlockBackend"/>: IN, OUT, FLUSH and GET_ID requests, read-only
/// devices refuse writes. Data moves directly between guest buffers and the backend (no bounce copy).
/// Requests outside the disk, of odd length or with missing header/status buffers complete with IOERR.
/// </summary>
public sealed class VirtioBlock(GuestMemory memory, IBlockBackend backend, string serial) : IStatefulVirtioDevice
{
    public const int SectorSize = 512;
    public const int HeaderSize = 16;
    public const int FeatureReadOnly = 5, FeatureFlush = 9;
    public const uint TypeIn = 0, TypeOut = 1, TypeFlush = 4, TypeGetId = 8;
    public const byte StatusOk = 0, StatusIoErr = 1, StatusUnsupported = 2;

    private IVirtioQueueHost? _host;
    private Virtqueue[] _queues = [];

    public uint DeviceId => VirtioIds.Block;

    public ulong Features => (1UL << FeatureFlush) | (backend.ReadOnly ? 1UL << FeatureReadOnly : 0);

    public int QueueCount => 1;

    public ushort QueueMaxSize => 256;

    public long Reads { get; private set; }

    public long Writes { get; private set; }

    public long Errors { get; private set; }

    public void ReadConfig(ulong offset, Span<byte> data)
    {
        // struct virtio_blk_config: u64 capacity (in 512-byte sectors) first; the rest reads as zero.
        Span<byte> config = stackalloc byte[64];
        config.Clear();
        BinaryPrimitives.WriteUInt64LittleEndian(config, (ulong)(backend.Size / SectorSize));
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

    public VirtioDeviceState SaveState() => new VirtioBlockState((ulong)(backend.Size / SectorSize), backend.ReadOnly);

    /// <summary>The disk must be as large as the one the guest's driver sized itself for, and as writable.</summary>
    public void RestoreState(VirtioDeviceState state)
    {
        var here = (VirtioBlockState)SaveState();
        if (state is not VirtioBlockState saved || saved != here)
        {
            throw new InvalidDataException($"virtio-blk '{serial}': the snapshot's disk was {state}, this one is {here}: restore with the same disk");
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
        var any = false;
        while (q.TryPop(out var chain))
        {
            var written = Process(chain);
            q.PushUsed(chain.Head, written);
            any = true;
        }

        if (any)
        {
            _host.SignalUsed(q);
        }
    }

    public void Reset() => _host = null;

    /// <summary>Handles one request; returns the bytes written into the chain (data + status).</summary>
    private uint Process(in DescriptorChain chain)
    {
        var writable = chain.WritableLength;
        if (writable < 1)
        {
            throw new VirtqueueException("virtio-blk request without a status byte");
        }

        Span<byte> header = stackalloc byte[HeaderSize];
        if (ChainIo.Read(memory, chain, 0, header) != HeaderSize)
        {
            Errors++;
            return Complete(chain, writable, 0, StatusIoErr);
        }

        var type = BinaryPrimitives.ReadUInt32LittleEndian(header);
        var sector = BinaryPrimitives.ReadUInt64LittleEndian(header[8..]);
        var dataIn = writable - 1;
        var dataOut = chain.ReadableLength - HeaderSize;
        switch (type)
        {
            case TypeIn:
                return Complete(chain, writable, (uint)dataIn, Transfer(chain, sector, dataIn, toGuest: true) ? StatusOk : StatusIoErr);
            case TypeOut:
                var ok = !backend.ReadOnly && Transfer(chain, sector, dataOut, toGuest: false);
                return Complete(chain, writable, 0, ok ? StatusOk : StatusIoErr);
            case TypeFlush:
                return Complete(chain, writable, 0, backend.Flush() ? StatusOk : StatusIoErr);
            case TypeGetId:
                var id = new byte[20];
                Encoding.ASCII.GetBytes(serial.Length > 20 ? serial[..20] : serial).CopyTo(id, 0);
                var n = ChainIo.Write(memory, chain, 0, id.AsSpan(0, (int)Math.Min(20, dataIn)));
                return Complete(chain, writable, (uint)n, StatusOk);
            default:
                return Complete(chain, writable, 0, StatusUnsupported);
        }
    }

    private bool Transfer(in DescriptorChain chain, ulong sector, long length, bool toGuest)
    {
        if (length % SectorSize != 0 || sector > (ulong)(backend.Size / SectorSize)
            || (ulong)length > (ulong)backend.Size - sector * SectorSize)
        {
            Errors++;
            return false;
        }

        var position = (long)sector * SectorSize;
        var remaining = length;
        var skip = toGuest ? 0L : HeaderSize;
        foreach (var d in chain.Buffers)
        {
            if (remaining == 0)
            {
                break;
            }

            if (d.Writable != toGuest)
            {
                continue;
            }

            if (skip >= d.Length)
            {
                skip -= d.Length;
                continue;
            }

            var n = (int)Math.Min(d.Length - skip, remaining);
            if (!memory.TryGetSpan(d.Address + (ulong)skip, n, out var span))
            {
                throw new VirtqueueException("buffer moved outside guest RAM");
            }

            if (!(toGuest ? backend.Read(position, span) : backend.Write(position, span)))
            {
                Errors++;
                return false;
            }

            position += n;
            remaining -= n;
            skip = 0;
        }

        if (toGuest)
        {
            Reads++;
        }
        else
        {
            Writes++;
        }

        return remaining == 0;
    }

    private uint Complete(in DescriptorChain chain, long writable, uint dataBytes, byte status)
    {
        Span<byte> s = [status];
        ChainIo.Write(memory, chain, writable - 1, s);
        return dataBytes + 1;
    }
}
