// js-libp2p side of bench/P2p: prints one JSON line per mode.
//   node --expose-gc bench.mjs convergence 20 | throughput 134217728 | memory 100
import './shim.mjs'
import { createLibp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import { ping } from '@libp2p/ping'
import { kadDHT, passthroughMapper } from '@libp2p/kad-dht'

const [mode, arg] = process.argv.slice(2)
const n = Number(arg)
const create = (dht) => createLibp2p({
  addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
  transports: [tcp()],
  connectionEncrypters: [noise()],
  streamMuxers: [yamux()],
  services: dht ? { identify: identify(), ping: ping(), dht: kadDHT({ clientMode: false, peerInfoMapper: passthroughMapper }) } : { identify: identify(), ping: ping() },
  connectionManager: { maxConnections: 1000, inboundConnectionThreshold: 10000, maxIncomingPendingConnections: 1000 }
})
const sleep = (ms) => new Promise(r => setTimeout(r, ms))

if (mode === 'convergence') {
  const nodes = []
  for (let i = 0; i < n; i++) nodes.push(await create(true))
  const t0 = performance.now()
  await Promise.all(nodes.slice(1).map(node => node.dial(nodes[0].getMultiaddrs()[0])))
  let converged = false
  while (performance.now() - t0 < 120000) {
    if (nodes.every(node => node.services.dht.routingTable.size >= n - 1)) { converged = true; break }
    await sleep(20)
  }
  const ms = performance.now() - t0
  const sizes = nodes.map(node => node.services.dht.routingTable.size)
  console.log(JSON.stringify({ mode, nodes: n, converged, ms, minTable: Math.min(...sizes) }))
  await Promise.all(nodes.map(node => node.stop()))
} else if (mode === 'throughput') {
  const [a, b] = [await create(false), await create(false)]
  let received = 0
  await a.handle('/bench/sink/1.0.0', async (stream) => {
    for await (const chunk of stream) received += chunk.byteLength
    stream.send(new Uint8Array([1]))
    await stream.close()
  })
  const chunk = new Uint8Array(64 * 1024)
  const runs = []
  for (let r = 0; r < 3; r++) {
    received = 0
    const stream = await b.dialProtocol(a.getMultiaddrs()[0], '/bench/sink/1.0.0')
    const t0 = performance.now()
    for (let sent = 0; sent < n; sent += chunk.length) {
      if (!stream.send(chunk)) await stream.onDrain()
    }
    await stream.close()
    for await (const _ of stream) { break }
    runs.push(n / 1048576 / ((performance.now() - t0) / 1000))
    if (received !== n) throw new Error(`sink got ${received} of ${n}`)
  }
  runs.sort((x, y) => x - y)
  console.log(JSON.stringify({ mode, bytes: n, mibPerSecond: runs[1], runs }))
  await a.stop(); await b.stop()
} else if (mode === 'memory') {
  const server = await create(false)
  const clients = []
  for (let i = 0; i < n; i++) clients.push(await create(false))
  await sleep(500)
  global.gc(); global.gc()
  const before = process.memoryUsage()
  for (const c of clients) await c.dial(server.getMultiaddrs()[0])
  await sleep(2000) // identify settles
  global.gc(); global.gc()
  const after = process.memoryUsage()
  console.log(JSON.stringify({ mode, connections: n, heapBytesPerConnection: (after.heapUsed - before.heapUsed) / n, rssBytesPerConnection: (after.rss - before.rss) / n }))
  await Promise.all([server, ...clients].map(x => x.stop()))
}
process.exit(0)
