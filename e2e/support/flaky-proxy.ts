/**
 * A TCP proxy that misbehaves on purpose, driven by a seeded PRNG: it delays chunks, drops
 * connections mid-stream and can refuse everything (a partition). Placed between agents and
 * the cloud, it exercises every retry and resume path of the sync.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net'
import type { AddressInfo } from 'node:net'

export interface FlakyProxy {
  url: string
  /** Probability per chunk that the connection is cut. */
  dropRate: number
  /** Extra delay per chunk, 0..maxDelayMs. */
  maxDelayMs: number
  /** While true, new connections are refused and open ones cut. */
  partitioned: boolean
  stats: { connections: number; drops: number }
  close(): Promise<void>
}

export async function startFlakyProxy(target: { host: string; port: number }, rand: () => number): Promise<FlakyProxy> {
  const sockets = new Set<Socket>()
  const state = {
    dropRate: 0,
    maxDelayMs: 0,
    partitioned: false,
    stats: { connections: 0, drops: 0 },
  }
  const server: Server = createServer((client) => {
    if (state.partitioned) {
      client.destroy()
      return
    }
    state.stats.connections++
    const upstream = createConnection(target)
    sockets.add(client)
    sockets.add(upstream)
    const cut = () => {
      client.destroy()
      upstream.destroy()
    }
    const relay = (from: Socket, to: Socket) => {
      // Chunks keep their order: each waits for the previous one's delay.
      let chain = Promise.resolve()
      from.on('data', (chunk) => {
        if (state.partitioned || rand() < state.dropRate) {
          state.stats.drops++
          cut()
          return
        }
        const d = state.maxDelayMs > 0 ? rand() * state.maxDelayMs : 0
        chain = chain.then(
          () =>
            new Promise<void>((r) =>
              setTimeout(() => {
                if (!to.destroyed) to.write(chunk)
                r()
              }, d),
            ),
        )
      })
    }
    relay(client, upstream)
    relay(upstream, client)
    for (const s of [client, upstream]) {
      s.on('error', cut)
      s.on('close', () => {
        sockets.delete(s)
        cut()
      })
    }
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
  const port = (server.address() as AddressInfo).port
  return {
    url: `http://127.0.0.1:${port}`,
    get dropRate() {
      return state.dropRate
    },
    set dropRate(v) {
      state.dropRate = v
    },
    get maxDelayMs() {
      return state.maxDelayMs
    },
    set maxDelayMs(v) {
      state.maxDelayMs = v
    },
    get partitioned() {
      return state.partitioned
    },
    set partitioned(v) {
      state.partitioned = v
      if (v) for (const s of sockets) s.destroy()
    },
    stats: state.stats,
    async close() {
      for (const s of sockets) s.destroy()
      await new Promise<void>((r) => server.close(() => r()))
    },
  }
}
