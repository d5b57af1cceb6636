namespace Formation.Kvm.Native.Devices.Virtio;

/// <summary>The device-to-guest side: RSTs owed (bounded), then the ready connections' packets in turn, into posted rx buffers.</summary>
public sealed partial class VirtioVsock
{
    /// <summary>Fills posted rx buffers with what is owed to the guest (caller holds the lock).</summary>
    private void Pump()
    {
        var host = _host;
        if (host is null)
        {
            return;
        }

        var q = _queues[RxQueue];
        var any = false;
        while (true)
        {
            if (_resets.Count == 0)
            {
                while (_ready.TryPeek(out var idle) && !HasPacket(idle))
                {
                    _ready.Dequeue();
                    idle.Queued = false;
                }

                if (_ready.Count == 0)
                {
                    break;
                }
            }

            if (!q.TryPop(out var chain))
            {
                break; // the guest posts more and notifies rx
            }

            uint written;
            if (chain.WritableLength < VsockPacketHeader.Size)
            {
                GuestError($"an rx buffer of {chain.WritableLength} bytes cannot hold the {VsockPacketHeader.Size}-byte header: returned empty");
                written = 0;
            }
            else if (_resets.TryDequeue(out var reset))
            {
                written = Write(chain, reset, default);
            }
            else
            {
                var conn = _ready.Dequeue();
                conn.Queued = false;
                written = Emit(conn, chain);
                if (HasPacket(conn))
                {
                    Enqueue(conn);
                }
            }

            q.PushUsed(chain.Head, written);
            any = true;
        }

        if (any)
        {
            host.SignalUsed(q);
        }
    }

    /// <summary><see cref="Pump"/> from a host thread: a broken rx ring fails the device instead of throwing there.</summary>
    private void PumpFromHost(IVirtioQueueHost host)
    {
        if (_host != host)
        {
            return;
        }

        try
        {
            Pump();
        }
        catch (VirtqueueException e)
        {
            host.Fail(e.Message);
        }
    }

    private static bool HasPacket(VsockConnection conn) =>
        conn.State != VsockConnectionState.Closed &&
        (conn.SendRequest || conn.SendCreditUpdate || CanSendData(conn) || (conn.SendShutdown != 0 && conn.ToGuestCount == 0));

    private static bool CanSendData(VsockConnection conn) =>
        conn.State == VsockConnectionState.Established && conn.ToGuestCount > 0 && conn.PeerCredit > 0 && (conn.GuestShutdown & ShutdownReceive) == 0;

    /// <summary>Writes the connection's next packet: REQUEST, data, a credit update, then SHUTDOWN once its data is out.</summary>
    private uint Emit(VsockConnection conn, in DescriptorChain chain)
    {
        if (conn.SendRequest)
        {
            conn.SendRequest = false;
            conn.RequestSent = true;
            return Write(chain, Header(conn, OpRequest, 0, 0), default);
        }

        if (CanSendData(conn))
        {
            var room = Math.Min(chain.WritableLength - VsockPacketHeader.Size, MaxPayload);
            var n = (int)Math.Min(Math.Min(conn.ToGuestCount, conn.PeerCredit), room);
            if (n > 0)
            {
                var written = Write(chain, Header(conn, OpRw, 0, (uint)n), conn.ToGuest.AsSpan(conn.ToGuestStart, n));
                conn.TxCnt += (uint)n;
                conn.ToGuestStart += n;
                conn.ToGuestCount -= n;
                if (conn.ToGuestCount == 0)
                {
                    conn.ToGuestStart = 0;
                }

                conn.WakeReader();
                return written;
            }
        }

        if (conn.SendShutdown != 0 && conn.ToGuestCount == 0 && !conn.SendCreditUpdate)
        {
            var flags = conn.SendShutdown;
            conn.SendShutdown = 0;
            var written = Write(chain, Header(conn, OpShutdown, flags, 0), default);
            CheckFinished(conn);
            return written;
        }

        // A credit update, or the packet that carries the current fwd_cnt when a buffer was too small for data.
        return Write(chain, Header(conn, OpCreditUpdate, 0, 0), default);
    }

    /// <summary>A header from the host side of <paramref name="conn"/>; it carries the current fwd_cnt, so the guest's view of the credit is fresh.</summary>
    private VsockPacketHeader Header(VsockConnection conn, ushort op, uint flags, uint length)
    {
        conn.LastSentFwdCnt = conn.FwdCnt;
        conn.SendCreditUpdate = false;
        return new VsockPacketHeader(HostCid, GuestCid, conn.HostPort, conn.GuestPort, length, TypeStream, op, flags, BufAlloc, conn.FwdCnt);
    }

    private uint Write(in DescriptorChain chain, in VsockPacketHeader header, ReadOnlySpan<byte> payload)
    {
        header.Write(_rxHeader);
        ChainIo.Write(_memory, chain, 0, _rxHeader);
        ChainIo.Write(_memory, chain, VsockPacketHeader.Size, payload);
        return (uint)(VsockPacketHeader.Size + payload.Length);
    }

    /// <summary>After the host side consumed guest bytes: tell the guest when its view of the credit has run low.</summary>
    private void OfferCredit(VsockConnection conn)
    {
        var guestView = (long)BufAlloc - (conn.RxCnt - conn.LastSentFwdCnt);
        if (conn.FwdCnt != conn.LastSentFwdCnt && guestView < MaxPayload)
        {
            conn.SendCreditUpdate = true;
            Enqueue(conn);
        }
    }
}
