using System.Net.Sockets;
using Formation.Kvm.Native.Memory;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Formation.Kvm.Native.Devices.Virtio;

/// <summary>
/// virtio-vsock (virtio 1.x "Socket Device", device id 19): stream connections between the guest (<see cref="GuestCid"/>)
/// and the host (cid 2), with a hybrid Unix-socket host side as in Firecracker (see <see cref="Formation.Vmm.Protocol.HybridVsock"/>):
/// a host client connects to the listening socket, writes <c>CONNECT &lt;port&gt;\n</c>, the device sends REQUEST to the
/// guest and answers <c>OK &lt;host-port&gt;\n</c> on its RESPONSE. Only host-initiated connections: a guest REQUEST is
/// answered with RST. Queues: rx (device to guest), tx (guest to device), event (unused: buffers stay posted).
/// <para>
/// The guest is untrusted. Every packet is checked (header size, cids, type, op, length against the descriptors, credit);
/// a packet that breaks a rule resets its connection (or, when it names none, is answered with RST or dropped) and is
/// counted in <see cref="GuestErrors"/>; it never fails the device or touches other connections. Buffering is bounded:
/// at most <see cref="BufAlloc"/> bytes per connection towards the host (the credit the device grants; a guest that sends
/// more is reset) and 64 KiB towards the guest (never more than the guest's own credit), at most
/// <c>maxConnections</c> connections. Host I/O runs on the thread pool under the transport's lock; the vCPU that
/// notifies never waits for a socket.
/// </para>
/// </summary>
public sealed partial class VirtioVsock : IStatefulVirtioDevice, IDisposable
{
    public const ulong HostCid = 2;
    public const int RxQueue = 0, TxQueue = 1, EventQueue = 2;
    public const ushort TypeStream = 1;
    public const ushort OpRequest = 1, OpResponse = 2, OpRst = 3, OpShutdown = 4, OpRw = 5, OpCreditUpdate = 6, OpCreditRequest = 7;
    public const uint ShutdownReceive = 1, ShutdownSend = 2;

    /// <summary>Largest payload in one packet (VIRTIO_VSOCK_MAX_PKT_BUF_SIZE).</summary>
    public const int MaxPayload = 64 * 1024;

    /// <summary>The receive buffer the device advertises per connection: what a guest may send ahead of the host.</summary>
    public const uint BufAlloc = 256 * 1024;

    public const int DefaultMaxConnections = 64;

    /// <summary>RSTs owed for packets that match no connection; beyond this a flooding guest's packets are dropped.</summary>
    public const int MaxPendingResets = 64;

    /// <summary>Host-side ports of connections count up from here (as Firecracker's do).</summary>
    public const uint FirstHostPort = 1u << 30;

    private readonly GuestMemory _memory;
    private readonly Socket _listener;
    private readonly string? _socketPath;
    private readonly ILogger _logger;
    private readonly TimeSpan _connectTimeout;
    private readonly int _maxConnections;
    private readonly Dictionary<uint, VsockConnection> _connections = [];
    private readonly Queue<VsockConnection> _ready = new();
    private readonly Queue<VsockPacketHeader> _resets = new();
    private readonly byte[] _txHeader = new byte[VsockPacketHeader.Size];
    private readonly byte[] _rxHeader = new byte[VsockPacketHeader.Size];
    private readonly CancellationTokenSource _stop = new();
    private IVirtioQueueHost? _host;
    private Virtqueue[] _queues = [];
    private uint _nextHostPort = FirstHostPort;
    private int _clients;
    private long _guestErrors;
    private Task? _acceptLoop;

    /// <param name="memory">Guest RAM.</param>
    /// <param name="guestCid">The guest's context id (3 or more).</param>
    /// <param name="listener">A bound, listening Unix stream socket: the hybrid host side. The device owns it.</param>
    /// <param name="socketPath">The listener's path, removed on dispose (null: leave it).</param>
    /// <param name="logger">Where guest errors and refused connections are logged.</param>
    /// <param name="connectTimeout">How long a host client may take to send CONNECT and the guest to answer it (default 10 s).</param>
    /// <param name="maxConnections">Host clients at once, in handshake or connected.</param>
    public VirtioVsock(GuestMemory memory, ulong guestCid, Socket listener, string? socketPath = null, ILogger? logger = null,
        TimeSpan? connectTimeout = null, int maxConnections = DefaultMaxConnections)
    {
        if (guestCid is < 3 or > 0xffff_fffe)
        {
            throw new ArgumentOutOfRangeException(nameof(guestCid), $"a guest cid is 3 to 4294967294 (got {guestCid})");
        }

        _memory = memory;
        GuestCid = guestCid;
        _listener = listener;
        _socketPath = socketPath;
        _logger = logger ?? NullLogger.Instance;
        _connectTimeout = connectTimeout ?? TimeSpan.FromSeconds(10);
        _maxConnections = maxConnections;
    }

    public uint DeviceId => VirtioIds.Vsock;

    /// <summary>No feature bits: stream sockets only, which is what a driver assumes without VIRTIO_VSOCK_F_SEQPACKET.</summary>
    public ulong Features => 0;

    public int QueueCount => 3;

    public ushort QueueMaxSize => 256;

    public ulong GuestCid { get; }

    /// <summary>Guest packets that broke a rule (each reset its connection or was dropped).</summary>
    public long GuestErrors => Interlocked.Read(ref _guestErrors);

    /// <summary>The latest of those, in words.</summary>
    public string? LastGuestError { get; private set; }

    /// <summary>Entries of the ready and reset queues (tests: what a guest that posts no rx buffers can make the device hold).</summary>
    internal int QueuedForGuest => _ready.Count + _resets.Count;

    /// <summary>Host clients connected to the Unix socket (in handshake or open).</summary>
    public int Clients => Volatile.Read(ref _clients);

    public void ReadConfig(ulong offset, Span<byte> data)
    {
        // struct virtio_vsock_config: le64 guest_cid.
        Span<byte> config = stackalloc byte[8];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(config, GuestCid);
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

        if (queue == TxQueue)
        {
            ProcessTx();
        }

        if (queue is RxQueue or TxQueue)
        {
            Pump();
        }
    }

    /// <summary>The device's state for a snapshot (caller holds the transport's lock).</summary>
    public VirtioVsockState CaptureState() => new(GuestCid, _nextHostPort);

    /// <summary>Continues from a snapshot's state: the guest cid must be this device's.</summary>
    public void RestoreState(VirtioVsockState state)
    {
        if (state.GuestCid != GuestCid)
        {
            throw new ArgumentException($"the snapshot's vsock device has guest cid {state.GuestCid}, this one {GuestCid}");
        }

        _nextHostPort = Math.Max(state.NextHostPort, FirstHostPort);
    }

    VirtioDeviceState IStatefulVirtioDevice.SaveState() => CaptureState();

    void IStatefulVirtioDevice.RestoreState(VirtioDeviceState state)
    {
        if (state is not VirtioVsockState vsock)
        {
            throw new InvalidDataException($"virtio-vsock: the snapshot's device state is {state}");
        }

        try
        {
            RestoreState(vsock);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"virtio-vsock: {e.Message}", e);
        }
    }

    /// <summary>The guest's connections of before the snapshot have no host side any more: it hears so at once.</summary>
    void IStatefulVirtioDevice.Restored() => SendTransportReset();

    /// <summary>
    /// Ends every connection without RST and posts VIRTIO_VSOCK_EVENT_TRANSPORT_RESET on the event queue, after which the
    /// guest drops its connections (what a restored snapshot needs). False when the driver is not up or posted no event
    /// buffer. Caller holds the transport's lock.
    /// </summary>
    public bool SendTransportReset()
    {
        foreach (var conn in _connections.Values.ToArray())
        {
            Close(conn, sendRst: false);
        }

        if (_host is null || !_queues[EventQueue].TryPop(out var chain))
        {
            return false;
        }

        Span<byte> evt = stackalloc byte[4]; // struct virtio_vsock_event { le32 id; }, VIRTIO_VSOCK_EVENT_TRANSPORT_RESET = 0
        evt.Clear();
        var written = ChainIo.Write(_memory, chain, 0, evt);
        _queues[EventQueue].PushUsed(chain.Head, (uint)written);
        _host.SignalUsed(_queues[EventQueue]);
        return written == evt.Length;
    }

    /// <summary>The driver reset the device: every connection ends (their Unix sockets close).</summary>
    public void Reset()
    {
        foreach (var conn in _connections.Values.ToArray())
        {
            Close(conn, sendRst: false);
        }

        _ready.Clear();
        _resets.Clear();
        _host = null;
    }

    /// <summary>Both sides are done: the connection ends with an RST (which the guest's close waits for).</summary>
    private void CheckFinished(VsockConnection conn)
    {
        if (conn.State == VsockConnectionState.Established && conn.ToHostDone &&
            ((conn.GuestShutdown & ShutdownReceive) != 0 || (conn.HostEof && conn.ToGuestCount == 0 && conn.SendShutdown == 0)))
        {
            LogClosed(conn.GuestPort, conn.HostPort);
            Close(conn, sendRst: true);
        }
    }

    /// <summary>Resets a connection over a guest error: RST to the guest, the Unix socket closed.</summary>
    private void Abort(VsockConnection conn, string reason)
    {
        GuestError($"connection {conn.HostPort} ↔ guest port {conn.GuestPort}: {reason}: reset");
        Close(conn, sendRst: true);
    }

    /// <summary>Answers a packet with RST: its connection's, or one for its ports (dropped beyond <see cref="MaxPendingResets"/>).</summary>
    private void Refuse(in VsockPacketHeader h, VsockConnection? conn, string? error)
    {
        if (error is not null)
        {
            GuestError($"port {h.SrcPort} → host port {h.DstPort}: {error}: reset");
        }

        if (conn is not null)
        {
            Close(conn, sendRst: true);
        }
        else if (_resets.Count < MaxPendingResets)
        {
            _resets.Enqueue(new VsockPacketHeader(HostCid, GuestCid, h.DstPort, h.SrcPort, 0, TypeStream, OpRst, 0, 0, 0));
        }
    }

    /// <summary>
    /// Ends a connection: out of the table, the Unix socket closed, and (when <paramref name="sendRst"/> and the guest knows
    /// of it) an RST owed to the guest. The RST waits with the others in the bounded reset queue, so a connection object
    /// never outlives its end by more than one turn of <see cref="Pump"/>, whatever the guest does with its rx buffers.
    /// </summary>
    private void Close(VsockConnection conn, bool sendRst)
    {
        if (conn.State == VsockConnectionState.Closed)
        {
            return;
        }

        conn.State = VsockConnectionState.Closed;
        _connections.Remove(conn.HostPort);
        conn.Accepted.TrySetResult(false);
        CompleteToHost(conn);
        conn.ToGuestCount = 0;
        conn.SendRequest = conn.SendCreditUpdate = false;
        conn.SendShutdown = 0;
        if (sendRst && conn.RequestSent && _resets.Count < MaxPendingResets)
        {
            _resets.Enqueue(new VsockPacketHeader(HostCid, GuestCid, conn.HostPort, conn.GuestPort, 0, TypeStream, OpRst, 0, BufAlloc, conn.FwdCnt));
        }

        if (_ready.Count > 2 * _maxConnections)
        {
            // Ended connections leave the ready queue lazily; a guest that never posts rx buffers must not let them pile up.
            var live = _ready.Where(HasPacket).ToArray();
            foreach (var c in _ready)
            {
                c.Queued = false;
            }

            _ready.Clear();
            foreach (var c in live)
            {
                Enqueue(c);
            }
        }

        conn.Socket.Dispose();
        conn.WakeReader();
    }

    private static void CompleteToHost(VsockConnection conn)
    {
        if (!conn.ToHostCompleted)
        {
            conn.ToHostCompleted = true;
            conn.ToHost.Writer.Complete();
        }
    }

    private void GuestError(string message)
    {
        var count = Interlocked.Increment(ref _guestErrors);
        LastGuestError = message;
        if (count <= 20 || count % 1000 == 0)
        {
            LogGuestError(count, message); // a hostile guest must not flood the VMM's log
        }
    }

    private void Enqueue(VsockConnection conn)
    {
        if (!conn.Queued)
        {
            conn.Queued = true;
            _ready.Enqueue(conn);
        }
    }
}
