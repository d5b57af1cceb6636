// js-libp2p 3.x targets Node >= 22; Debian's and this machine's Node 20 lack Promise.withResolvers and the ES2025
// Set methods that libp2p and kad-dht call. Imported first by peer.mjs.
if (typeof Promise.withResolvers !== 'function') {
  Promise.withResolvers = function () {
    let resolve, reject
    const promise = new Promise((res, rej) => { resolve = res; reject = rej })
    return { promise, resolve, reject }
  }
}
const setMethods = {
  union (other) { const r = new Set(this); for (const v of other.keys()) r.add(v); return r },
  intersection (other) { const r = new Set(); for (const v of this) if (other.has(v)) r.add(v); return r },
  difference (other) { const r = new Set(); for (const v of this) if (!other.has(v)) r.add(v); return r },
  symmetricDifference (other) {
    const r = new Set(this)
    for (const v of other.keys()) { if (this.has(v)) r.delete(v); else r.add(v) }
    return r
  },
  isSubsetOf (other) { for (const v of this) if (!other.has(v)) return false; return true },
  isSupersetOf (other) { for (const v of other.keys()) if (!this.has(v)) return false; return true },
  isDisjointFrom (other) { for (const v of this) if (other.has(v)) return false; return true }
}
for (const [name, fn] of Object.entries(setMethods)) {
  if (typeof Set.prototype[name] !== 'function') {
    Object.defineProperty(Set.prototype, name, { value: fn, writable: true, configurable: true })
  }
}
