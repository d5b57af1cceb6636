// A js-libp2p node for Formation's interop tests, driven by JSON lines on stdin; answers and events are JSON lines on
// stdout. Usage: node peer.mjs '{"listen":"/ip4/127.0.0.1/tcp/0","dht":true,"mdns":false,"bootstrap":[]}'
import './shim.mjs'
import { createInterface } from 'node:readline'
import { createLibp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import { ping } from '@libp2p/ping'
import { kadDHT, passthroughMapper } from '@libp2p/kad-dht'
import { mdns } from '@libp2p/mdns'
import { bootstrap } from '@libp2p/bootstrap'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromString, peerIdFromPublicKey } from '@libp2p/peer-id'
import { RecordEnvelope } from '@libp2p/peer-record'
import { multiaddr } from '@multiformats/multiaddr'
import { CID } from 'multiformats/cid'
import * as Digest from 'multiformats/hashes/digest'
import { formationValidator, formationSelector, RECORD_DOMAIN } from './records.mjs'

const opts = JSON.parse(process.argv[2] ?? '{}')
const out = (obj) => process.stdout.write(JSON.stringify(obj) + '\n')
const b64 = (u8) => Buffer.from(u8).toString('base64')
const fromB64 = (s) => new Uint8Array(Buffer.from(s, 'base64'))
const utf8 = (s) => new TextEncoder().encode(s)

const privateKey = await generateKeyPair('Ed25519')
const services = { identify: identify(), ping: ping() }
if (opts.dht) {
  services.dht = kadDHT({
    protocol: opts.kadProtocol ?? '/ipfs/kad/1.0.0',
    clientMode: false,
    peerInfoMapper: passthroughMapper,
    validators: { formation: formationValidator },
    selectors: { formation: formationSelector }
  })
}
const peerDiscovery = []
if (opts.mdns) peerDiscovery.push(mdns({ interval: opts.mdnsInterval ?? 1000 }))
if (opts.bootstrap?.length) peerDiscovery.push(bootstrap({ list: opts.bootstrap }))

const node = await createLibp2p({
  privateKey,
  addresses: { listen: [opts.listen ?? '/ip4/127.0.0.1/tcp/0'] },
  transports: [tcp()],
  connectionEncrypters: [noise()],
  streamMuxers: [yamux()],
  services,
  peerDiscovery
})
node.addEventListener('peer:discovery', (e) => out({ event: 'discovery', peer: e.detail.id.toString(), addrs: e.detail.multiaddrs.map(String) }))
node.addEventListener('peer:identify', (e) => out({ event: 'identify', peer: e.detail.peerId.toString(), protocols: e.detail.protocols, agent: e.detail.agentVersion, observed: e.detail.observedAddr?.toString() }))
await node.start()

const target = (cmd) => cmd.addr ? multiaddr(cmd.addr) : peerIdFromString(cmd.peer)
const cidOf = (hex) => CID.createV1(0x55, Digest.decode(Uint8Array.from(Buffer.from(hex, 'hex'))))
const drain = async (events) => { const all = []; for await (const e of events) all.push(e); return all }

const commands = {
  async dial (cmd) { const c = await node.dial(target(cmd)); return { peer: c.remotePeer.toString() } },
  async ping (cmd) { return { rtt: await node.services.ping.ping(target(cmd)) } },
  async peer (cmd) {
    const p = await node.peerStore.get(peerIdFromString(cmd.peer))
    return { protocols: p.protocols, addrs: p.addresses.map(a => a.multiaddr.toString()), agent: p.metadata.get('AgentVersion') ? new TextDecoder().decode(p.metadata.get('AgentVersion')) : null }
  },
  async connections () { return { peers: node.getConnections().map(c => ({ peer: c.remotePeer.toString(), addr: c.remoteAddr.toString(), status: c.status })) } },
  async routingTable () { return { peers: [...node.services.dht.routingTable.kb.toIterable()].map(p => p.peerId.toString()) } },
  async findPeer (cmd) {
    for await (const e of node.services.dht.findPeer(peerIdFromString(cmd.peer))) {
      if (e.name === 'FINAL_PEER') return { addrs: e.peer.multiaddrs.map(String) }
    }
    return { addrs: [] }
  },
  async put (cmd) { await drain(node.services.dht.put(utf8(cmd.key), fromB64(cmd.value))); return {} },
  async sealAndPut (cmd) {
    const envelope = await RecordEnvelope.seal({ domain: RECORD_DOMAIN, codec: utf8(cmd.payloadType), marshal: () => fromB64(cmd.payload) }, privateKey)
    const value = envelope.marshal()
    await drain(node.services.dht.put(utf8(cmd.key), value))
    return { value: b64(value) }
  },
  async get (cmd) {
    for await (const e of node.services.dht.get(utf8(cmd.key))) {
      if (e.name === 'VALUE') return { value: b64(e.value) }
    }
    return { value: null }
  },
  async provide (cmd) { await drain(node.services.dht.provide(cidOf(cmd.key))); return {} },
  async findProviders (cmd) {
    const found = []
    for await (const e of node.services.dht.findProviders(cidOf(cmd.key))) {
      if (e.name === 'PROVIDER') for (const p of e.providers) found.push({ peer: p.id.toString(), addrs: p.multiaddrs.map(String) })
    }
    return { providers: found }
  },
  async nodeRecord (cmd) {
    // Formation's /formation/node/1.0.0: send our record (none: a zero length), read theirs, check its signature.
    const stream = await node.dialProtocol(target(cmd), '/formation/node/1.0.0')
    stream.send(new Uint8Array([0]))
    await stream.close()
    const parts = []
    for await (const chunk of stream) parts.push(Buffer.from(chunk.subarray()))
    const all = Buffer.concat(parts)
    let length = 0; let shift = 0; let i = 0
    for (; i < all.length; i++) { length += (all[i] & 0x7f) * 2 ** shift; shift += 7; if ((all[i] & 0x80) === 0) { i++; break } }
    const envelope = all.subarray(i, i + length)
    const opened = await RecordEnvelope.openAndCertify(envelope, RECORD_DOMAIN)
    return { envelope: b64(envelope), signer: peerIdFromPublicKey(opened.publicKey).toString() }
  },
  async stop () { await node.stop(); setImmediate(() => process.exit(0)); return {} }
}

const lines = createInterface({ input: process.stdin })
lines.on('line', async (line) => {
  let cmd
  try {
    cmd = JSON.parse(line)
    const result = await commands[cmd.cmd](cmd)
    out({ id: cmd.id, ok: true, ...result })
  } catch (err) {
    out({ id: cmd?.id, ok: false, error: String(err?.stack ?? err) })
  }
})
lines.on('close', async () => { await node.stop(); process.exit(0) })
out({ event: 'ready', peer: node.peerId.toString(), addrs: node.getMultiaddrs().map(String) })
