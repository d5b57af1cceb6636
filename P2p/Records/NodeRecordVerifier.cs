namespace Formation.P2p.Records;

/// <summary>Opens a signed node record: the envelope signature, the signer = the record's peer, and the cluster.</summary>
public static class NodeRecordVerifier
{
    /// <summary>Largest envelope accepted.</summary>
    public const int MaxEnvelopeSize = 8 * 1024;

    /// <summary>The record inside <paramref name="envelope"/> if it is valid for <paramref name="clusterId"/>; otherwise null and why.</summary>
    public static NodeRecord? TryOpen(ReadOnlySpan<byte> envelope, string clusterId, out string reason)
    {
        if (envelope.Length > MaxEnvelopeSize)
        {
            reason = $"record of {envelope.Length} bytes exceeds {MaxEnvelopeSize}";
            return null;
        }

        try
        {
            var sealedRecord = SignedEnvelope.Decode(envelope);
            if (!sealedRecord.PayloadType.AsSpan().SequenceEqual(NodeRecord.PayloadType))
            {
                reason = "not a node record envelope";
                return null;
            }

            if (!sealedRecord.Verify(NodeRecord.Domain))
            {
                reason = "bad signature";
                return null;
            }

            var record = NodeRecord.Decode(sealedRecord.Payload);
            if (record.PeerId != sealedRecord.Signer)
            {
                reason = $"signed by {sealedRecord.Signer}, not by the record's peer {record.PeerId}";
                return null;
            }

            if (record.ClusterId != clusterId)
            {
                reason = $"record of cluster '{record.ClusterId}', this node is in '{clusterId}'";
                return null;
            }

            reason = "";
            return record;
        }
        catch (P2pProtocolException e)
        {
            reason = "malformed: " + e.Message;
            return null;
        }
    }
}
