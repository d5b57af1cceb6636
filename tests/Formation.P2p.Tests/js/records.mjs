// The js side of Formation's node records in the DHT: a record under /formation/... is a libp2p signed envelope
// (RFC 0002) whose payload is a Formation NodeRecord protobuf; the best one has the highest sequence number (field 1).
import { RecordEnvelope } from '@libp2p/peer-record'

export const RECORD_DOMAIN = 'formation-node-record'

export async function formationValidator (key, value) {
  await RecordEnvelope.openAndCertify(value, RECORD_DOMAIN) // throws on a bad signature
}

export function formationSelector (key, values) {
  let best = 0
  let bestSeq = -1n
  values.forEach((value, i) => {
    const seq = sequenceOf(value)
    if (seq > bestSeq) { best = i; bestSeq = seq }
  })
  return best
}

function sequenceOf (value) {
  try {
    const envelope = RecordEnvelope.createFromProtobuf(value)
    const payload = envelope.payload
    // field 1, wire type 0 (tag 0x08) comes first in a Formation NodeRecord
    if (payload[0] !== 0x08) return -1n
    let seq = 0n
    for (let i = 1, shift = 0n; i < payload.length && i < 11; i++, shift += 7n) {
      seq |= BigInt(payload[i] & 0x7f) << shift
      if ((payload[i] & 0x80) === 0) return seq
    }
  } catch {}
  return -1n
}
