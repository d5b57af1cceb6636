using System.IO.Pipelines;
using System.Net.Sockets;

namespace Formation.Kvm.Native.Devices.Virtio;

/// <summary>
/// One host-initiated stream connection of <see cref="VirtioVsock"/>: the host client's Unix socket, both directions'
/// credit counters and the bytes buffered on the way. Every field is guarded by the device's lock (the transport's).
/// Host to guest: at most <see cref="ToGuestCapacity"/> bytes wait here, never more than the guest's credit. Guest to
/// host: at most <see cref="VirtioVsock.BufAlloc"/> bytes wait in <see cref="ToHost"/>, the credit the device advertises.
/// </summary>
internal sealed class VsockConnection(uint hostPort, uint guestPort, Socket socket, IVirtioQueueHost host)
{
    public const int ToGuestCapacity = VirtioVsock.MaxPayload;

    public uint HostPort { get; } = hostPort;

    public uint GuestPort { get; } = guestPort;

    public Socket Socket { get; } = socket;

    /// <summary>The transport this connection was opened on: its lock guards every field here.</summary>
    public IVirtioQueueHost Host { get; } = host;

    public VsockConnectionState State { get; set; } = VsockConnectionState.Connecting;

    /// <summary>Completes with true when the guest answers RESPONSE, false on RST or when the connection is dropped.</summary>
    public TaskCompletionSource<bool> Accepted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    // Host → guest: the guest's credit (its buf_alloc and fwd_cnt) and what was sent (tx_cnt).
    public uint PeerBufAlloc { get; set; }

    public uint PeerFwdCnt { get; set; }

    public uint TxCnt { get; set; }

    public byte[] ToGuest { get; } = new byte[ToGuestCapacity];

    public int ToGuestStart { get; set; }

    public int ToGuestCount { get; set; }

    /// <summary>Released when the host reader may read again (credit grew, the buffer drained, or the connection ended).</summary>
    public SemaphoreSlim ReaderWake { get; } = new(0, 1);

    // Guest → host: bytes received from the guest (rx_cnt), written to the Unix socket (fwd_cnt), and the fwd_cnt the
    // guest last saw in a header.
    public uint RxCnt { get; set; }

    public uint FwdCnt { get; set; }

    public uint LastSentFwdCnt { get; set; }

    /// <summary>Guest bytes on their way to the Unix socket; never pauses (the credit bounds it).</summary>
    public Pipe ToHost { get; } = new(new PipeOptions(pauseWriterThreshold: 0, resumeWriterThreshold: 0, useSynchronizationContext: false));

    // Packets owed to the guest.
    public bool SendRequest { get; set; }

    public bool SendCreditUpdate { get; set; }

    /// <summary>The guest has seen this connection's REQUEST (so closing it owes the guest an RST).</summary>
    public bool RequestSent { get; set; }

    /// <summary>SHUTDOWN flags to send once <see cref="ToGuest"/> is empty (the host client half-closed).</summary>
    public uint SendShutdown { get; set; }

    /// <summary>In the device's ready queue.</summary>
    public bool Queued { get; set; }

    /// <summary>The SHUTDOWN flags the guest sent (receive 1, send 2).</summary>
    public uint GuestShutdown { get; set; }

    public bool HostEof { get; set; }

    /// <summary>The guest shut down its sending side and everything it sent reached the Unix socket, which was half-closed.</summary>
    public bool ToHostDone { get; set; }

    public bool ToHostCompleted { get; set; }

    /// <summary>The guest's free receive space as this side counts it: buf_alloc - (tx_cnt - fwd_cnt).</summary>
    public uint PeerCredit
    {
        get
        {
            var inFlight = TxCnt - PeerFwdCnt;
            return inFlight >= PeerBufAlloc ? 0 : PeerBufAlloc - inFlight;
        }
    }

    /// <summary>The device's free receive space for this connection: buf_alloc - (rx_cnt - fwd_cnt).</summary>
    public uint OwnCredit => VirtioVsock.BufAlloc - (RxCnt - FwdCnt);

    public void WakeReader()
    {
        if (ReaderWake.CurrentCount == 0)
        {
            try
            {
                ReaderWake.Release();
            }
            catch (SemaphoreFullException)
            {
                // Another wake got there first.
            }
        }
    }
}

internal enum VsockConnectionState
{
    Connecting,
    Established,
    Closed,
}
