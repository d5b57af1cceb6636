namespace Formation.Kvm.Native.Devices.Virtio;

/// <summary>The guest-to-device side: every tx packet checked, then applied to its connection (or refused).</summary>
public sealed partial class VirtioVsock
{
    private void ProcessTx()
    {
        var q = _queues[TxQueue];
        var any = false;
        while (q.TryPop(out var chain))
        {
            var readable = chain.ReadableLength;
            if (readable < VsockPacketHeader.Size)
            {
                GuestError($"a tx packet of {readable} readable bytes is shorter than the {VsockPacketHeader.Size}-byte header: dropped");
            }
            else
            {
                ChainIo.Read(_memory, chain, 0, _txHeader);
                Handle(chain, readable, VsockPacketHeader.Read(_txHeader));
            }

            q.PushUsed(chain.Head, 0);
            any = true;
        }

        if (any)
        {
            _host!.SignalUsed(q);
        }
    }

    private void Handle(in DescriptorChain chain, long readable, in VsockPacketHeader h)
    {
        if (h.SrcCid != GuestCid || h.DstCid != HostCid)
        {
            GuestError($"a packet from cid {h.SrcCid} to cid {h.DstCid} (the guest is cid {GuestCid}, the host {HostCid}): dropped");
            return;
        }

        if (!_connections.TryGetValue(h.DstPort, out var conn) || conn.GuestPort != h.SrcPort)
        {
            conn = null;
        }

        if (h.Op == OpRst)
        {
            if (conn is not null)
            {
                LogGuestReset(conn.GuestPort, conn.HostPort);
                Close(conn, sendRst: false);
            }

            return;
        }

        if (h.Type != TypeStream)
        {
            Refuse(h, conn, $"type {h.Type} is not a stream (1)");
            return;
        }

        if (h.Op == OpRequest)
        {
            // Guest-initiated connections (Firecracker's "<socket>_<port>" convention) are not offered.
            LogGuestRequestRefused(h.DstPort, h.SrcPort);
            Refuse(h, conn, null);
            return;
        }

        if (conn is null)
        {
            Refuse(h, null, null); // a late packet of a closed connection, or a guess: RST like a host without a listener
            return;
        }

        if (h.Length > MaxPayload || h.Length > readable - VsockPacketHeader.Size)
        {
            Abort(conn, $"a packet says it carries {h.Length} bytes but has {readable - VsockPacketHeader.Size} (at most {MaxPayload})");
            return;
        }

        if (h.Op != OpRw && h.Length != 0)
        {
            Abort(conn, $"a control packet (op {h.Op}) carries {h.Length} bytes of payload");
            return;
        }

        if (!TakeCredit(conn, h))
        {
            return;
        }

        switch (h.Op)
        {
            case OpResponse when conn.State == VsockConnectionState.Connecting:
                conn.State = VsockConnectionState.Established;
                conn.Accepted.TrySetResult(true);
                break;
            case OpResponse:
                Abort(conn, "RESPONSE on a connection that is already open");
                break;
            case OpRw:
                Receive(conn, chain, h.Length);
                break;
            case OpCreditUpdate:
                break; // TakeCredit took it
            case OpCreditRequest:
                conn.SendCreditUpdate = true;
                Enqueue(conn);
                break;
            case OpShutdown:
                OnGuestShutdown(conn, h.Flags);
                break;
            default:
                Abort(conn, $"unknown op {h.Op}");
                break;
        }
    }

    /// <summary>Takes the guest's buf_alloc and fwd_cnt from any packet; false (and reset) when fwd_cnt is impossible.</summary>
    private bool TakeCredit(VsockConnection conn, in VsockPacketHeader h)
    {
        if (conn.TxCnt - h.FwdCnt > conn.TxCnt - conn.PeerFwdCnt)
        {
            Abort(conn, $"fwd_cnt {h.FwdCnt} went back or past the {conn.TxCnt} bytes sent (it was {conn.PeerFwdCnt})");
            return false;
        }

        var before = conn.PeerCredit;
        conn.PeerBufAlloc = h.BufAlloc;
        conn.PeerFwdCnt = h.FwdCnt;
        if (conn.PeerCredit > before)
        {
            conn.WakeReader();
            if (conn.ToGuestCount > 0)
            {
                Enqueue(conn);
            }
        }

        return true;
    }

    private void Receive(VsockConnection conn, in DescriptorChain chain, uint length)
    {
        if (conn.State != VsockConnectionState.Established || (conn.GuestShutdown & ShutdownSend) != 0)
        {
            Abort(conn, conn.State == VsockConnectionState.Established ? "data after the guest shut down sending" : "data before the connection was accepted");
            return;
        }

        if (length > conn.OwnCredit)
        {
            Abort(conn, $"the guest sent {length} bytes with {conn.OwnCredit} bytes of credit");
            return;
        }

        if (length == 0)
        {
            return;
        }

        var writer = conn.ToHost.Writer;
        var span = writer.GetSpan((int)length)[..(int)length];
        ChainIo.Read(_memory, chain, VsockPacketHeader.Size, span);
        writer.Advance((int)length);
        var flush = writer.FlushAsync(); // never pauses (no threshold): completes at once
        if (flush.IsCompleted)
        {
            flush.GetAwaiter().GetResult();
        }
        else
        {
            _ = flush.AsTask();
        }

        conn.RxCnt += length;
    }

    private void OnGuestShutdown(VsockConnection conn, uint flags)
    {
        if ((flags & ~(ShutdownReceive | ShutdownSend)) != 0 || conn.State != VsockConnectionState.Established)
        {
            Abort(conn, conn.State == VsockConnectionState.Established ? $"SHUTDOWN with unknown flags 0x{flags:x}" : "SHUTDOWN before the connection was accepted");
            return;
        }

        conn.GuestShutdown |= flags;
        if ((flags & ShutdownReceive) != 0)
        {
            conn.ToGuestCount = 0;
            conn.ToGuestStart = 0;
            conn.WakeReader();
        }

        if ((flags & ShutdownSend) != 0)
        {
            CompleteToHost(conn);
        }

        CheckFinished(conn);
    }
}
