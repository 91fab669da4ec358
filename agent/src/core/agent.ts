/**
 * The headless agent: WeChat driver → capture → journal (durable, encrypted) + replica
 * (optimistic) → uplink → cloud; cloud → shapes → replica → sender → WeChat.
 *
 *   start: open journal (key) ─► restore replica from the sealed checkpoint ─► replay journal
 *          ─► ready offline ─► shapes + uplink + driver loop + sender
 *
 * Every local write goes to the journal first (fsynced), then to the replica; a crash between
 * the two is repaired by the replay at the next start.
 */
import type { Logger } from 'pino'
import type { Change } from '@kefu/schema'
import { assertKeyOpens, createCipher } from '../store/crypto.ts'
import { openJournal, type Journal } from '../store/journal.ts'
import { openReplica, type Replica } from '../sync/replica.ts'
import { createUplink, type Uplink } from '../sync/uplink.ts'
import { applyLocal } from '../sync/local-apply.ts'
import { dropSupersededCopies } from '../sync/reconcile.ts'
import { abortable, sleep } from '../sync/backoff.ts'
import type { CapturedMessage, WeChatDriver } from '../driver/driver.ts'
import { captureBatch } from './capture.ts'
import { emptyCheckpoint, type ChatCheckpoint } from './chat-checkpoint.ts'
import { createAnswerer, type Answerer } from './answerer.ts'
import { createSender } from './sender.ts'
import { createPacer, type PacingOptions } from './pacing.ts'
import type { AgentCredentials } from './credentials.ts'

/**
 * A capture that failed before its journal append: nothing of it was written, and the chat
 * checkpoints are as they were, so its bubbles can (and must) be captured again.
 */
export class NotWritten extends Error {
  constructor(cause: unknown) {
    super(`nothing was written: ${cause instanceof Error ? cause.message : String(cause)}`, { cause })
    this.name = 'NotWritten'
  }
}

export interface AgentOptions {
  cloudUrl: string
  agentId: string
  credentials: AgentCredentials
  dataDir: string
  /** The 32-byte data key (from safeStorage or `keyFromPassphrase`). */
  key: Buffer
  driver?: WeChatDriver | undefined
  logger: Logger
  pacing?: Partial<PacingOptions>
  /** Driver poll interval; default 1000 ms. */
  pollMs?: number
  /** Replica checkpoint interval; default 5 min (and at shutdown). */
  checkpointMs?: number
  /** The cloud counts as unreachable after this long without contact; default 15 s. */
  offlineAfterMs?: number
  /** How long a chat a person took over in WeChat stays with them; default 30 min. */
  humanTtlMs?: number
  /** Heartbeat (status report and reachability probe) interval; default 5 s. */
  heartbeatMs?: number
  /** Answer greetings/FAQs locally while the cloud is unreachable; default true. */
  offlineAnswers?: boolean
  fetch?: typeof fetch
  /** The agent's clock, and the sleep that goes with it (tests compress time with both). */
  now?: () => number
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>
}

export interface AgentStatus {
  agentId: string
  online: boolean
  lastContactAt: string | null
  replicaUpToDate: boolean
  syncLagMs: number | null
  outboxDepth: number
  rejectedChanges: number
  windowFound: boolean
  lastCaptureAt: string | null
  captured: number
  sent: number
  startedAt: string
}

export interface KefuAgent {
  readonly replica: Replica
  readonly journal: Journal
  readonly uplink: Uplink
  /** Starts: resolves once the agent is ready offline (replica restored, journal replayed). */
  start(): Promise<void>
  /** Records bubbles read from WeChat (the driver loop calls this; tests may too). */
  capture(batch: readonly CapturedMessage[]): Promise<number>
  /** Writes changes durably and locally, and wakes the uplink. */
  write(changes: Change[], kv?: ReadonlyArray<readonly [string, unknown]>): Promise<void>
  status(): AgentStatus
  /** Seals a checkpoint of the replica into the journal now. */
  checkpoint(): Promise<void>
  stop(opts?: { checkpoint?: boolean }): Promise<void>
}

export function createKefuAgent(o: AgentOptions): KefuAgent {
  const log = o.logger.child({ component: 'agent', agent: o.agentId })
  const now = o.now ?? Date.now
  // Waits measured on the agent's clock (pacing, poll and probe intervals) sleep on it too.
  const nap = o.sleep ?? sleep
  const cipher = createCipher(o.key)
  // A wrong key must fail here, clearly, before SQLite opens (and may rewrite) the journal.
  assertKeyOpens(o.dataDir, o.key)
  const journal = openJournal(o.dataDir, cipher)
  let replica!: Replica
  let uplink!: Uplink
  let answerer: Answerer | null = null
  let sender: ReturnType<typeof createSender> | null = null
  const startedAt = new Date(now())
  let lastContact: number | null = null
  let captured = 0
  let sent = 0
  const aligned = new Set<string>()
  const stopper = new AbortController()
  const loops: Promise<void>[] = []
  let writing: Promise<void> = Promise.resolve()
  const contact = () => {
    lastContact = now()
    // In touch with the cloud: push what waits instead of sitting out the rest of a backoff.
    if (journal.hasPending()) uplink?.wake()
  }
  const offline = () => now() - (lastContact ?? startedAt.getTime()) > (o.offlineAfterMs ?? 15_000)

  /** Journal first (durable), then the replica, serialised so the order is the journal's. */
  const write = (changes: Change[], kv: ReadonlyArray<readonly [string, unknown]> = []): Promise<void> => {
    const run = writing.then(async () => {
      if (changes.length === 0 && kv.length === 0) return
      try {
        journal.append(changes, kv)
      } catch (err) {
        throw new NotWritten(err)
      }
      const at = new Date(now())
      await replica.db.transaction(async (tx) => {
        for (const c of changes) await applyLocal(tx, c, at)
      })
      uplink?.wake()
    })
    writing = run.catch(() => {})
    return run
  }

  const capture = async (batch: readonly CapturedMessage[]): Promise<number> => {
    if (batch.length === 0) return 0
    // A failure before the journal append leaves the checkpoints as they were: the chats this
    // attempt aligned must be aligned again when the batch is captured again.
    const aligning = new Set(batch.map((b) => b.chatKey).filter((c) => !aligned.has(c)))
    const notWritten = (err: unknown) => {
      for (const c of aligning) aligned.delete(c)
      return err instanceof NotWritten ? err : new NotWritten(err)
    }
    const r = await captureBatch(
      {
        agentId: o.agentId,
        db: replica.db,
        checkpoint: (chat) => journal.get<ChatCheckpoint>(`chat:${chat}`) ?? emptyCheckpoint(),
        aligned,
        now: () => new Date(now()),
        humanTtlMs: o.humanTtlMs ?? 30 * 60_000,
        ...(o.offlineAnswers !== false && answerer
          ? { localAnswer: async (m) => (offline() ? answerer!.answer(m) : null) }
          : {}),
      },
      batch,
    ).catch((err: unknown) => {
      throw notWritten(err)
    })
    await write(r.changes, r.checkpoints.map(([chat, cp]) => [`chat:${chat}`, cp] as const)).catch((err: unknown) => {
      // Past the journal append the capture is written, even if the replica did not take it.
      throw err instanceof NotWritten ? notWritten(err) : err
    })
    captured += r.messages
    sender?.wake()
    return r.messages
  }

  async function restore(): Promise<void> {
    // Opened chunk by chunk as it is unpacked: the image is never held whole in the clear.
    const cp = journal.readCheckpoint()
    replica = await openReplica({ image: cp?.chunks, logger: log })
    // Replay what the checkpoint does not contain (idempotent local effects).
    const entries = journal.since(cp?.coveredSeq ?? 0)
    const at = new Date(now())
    await replica.db.transaction(async (tx) => {
      for (const e of entries) await applyLocal(tx, e.change, at)
    })
    log.info({ checkpoint: Boolean(cp), replayed: entries.length }, 'replica restored')
  }

  const agent: KefuAgent = {
    get replica() {
      return replica
    },
    journal,
    get uplink() {
      return uplink
    },
    capture,
    write,
    async start() {
      await restore()
      answerer = createAnswerer({ db: replica.db, now: () => new Date(now()) })
      uplink = createUplink({
        journal,
        url: o.cloudUrl,
        headers: () => o.credentials.headers(),
        onUnauthorized: () => o.credentials.refresh(),
        onOnline: (up) => {
          if (up) contact()
        },
        onResults: async (outcomes) => {
          contact()
          // A message the cloud already had under another id: drop our optimistic copy.
          const n = await dropSupersededCopies(replica.db, outcomes)
          if (n > 0) log.info({ n }, 'captured messages the cloud already had: local copies dropped')
        },
        logger: log,
        ...(o.fetch ? { fetch: o.fetch } : {}),
      })
      loops.push(uplink.run())
      await replica.startSync({
        url: o.cloudUrl,
        headers: () => o.credentials.headers(),
        onUnauthorized: () => o.credentials.refresh(),
        ...(o.fetch ? { fetch: o.fetch } : {}),
        onUpToDate: () => {
          contact()
          sender?.wake()
        },
      })
      // The heartbeat reports our status to the cloud every few seconds and doubles as the
      // probe that keeps the online/offline view fresh when nothing else talks.
      loops.push(
        (async () => {
          while (!stopper.signal.aborted) {
            try {
              const { agentId: _id, ...status } = agent.status()
              const send = async () =>
                (o.fetch ?? fetch)(`${o.cloudUrl}/api/v1/agents/heartbeat`, {
                  method: 'POST',
                  headers: { ...(await abortable(o.credentials.headers(), stopper.signal)), 'content-type': 'application/json' },
                  body: JSON.stringify(status),
                  signal: AbortSignal.any([stopper.signal, AbortSignal.timeout(5000)]),
                })
              let r = await send()
              if (r.status === 401 && (await abortable(o.credentials.refresh(), stopper.signal))) r = await send()
              if (r.ok) contact()
            } catch {
              // unreachable: lastContact ages
            }
            await sleep(o.heartbeatMs ?? 5000, stopper.signal)
          }
        })(),
      )
      if (o.driver) {
        const driver = o.driver
        await driver.start()
        sender = createSender({
          db: replica.db,
          driver,
          pacer: createPacer(o.pacing),
          write: (c) => write(c),
          logger: log,
          now,
          sleep: nap,
          onSent: () => sent++,
        })
        loops.push(sender.run())
        loops.push(
          (async () => {
            // Bubbles the driver returned but a failed capture did not write: the driver will
            // not return them again, so they go first into the next attempt.
            let carried: CapturedMessage[] = []
            while (!stopper.signal.aborted) {
              try {
                const polled = await driver.poll().catch((err: unknown) => {
                  throw new NotWritten(err)
                })
                carried = [...carried, ...polled]
                await capture(carried)
                carried = []
              } catch (err) {
                // Only what reached the journal is captured (the replica gets it back from the
                // cloud, or from the journal at the next start); the rest goes again.
                if (!(err instanceof NotWritten)) carried = []
                log.error({ err, carried: carried.length }, 'capture failed')
              }
              await nap(o.pollMs ?? 1000, stopper.signal)
            }
          })(),
        )
      }
      loops.push(
        (async () => {
          while (!stopper.signal.aborted) {
            await nap(o.checkpointMs ?? 5 * 60_000, stopper.signal)
            if (!stopper.signal.aborted) await agent.checkpoint().catch((err: unknown) => log.error({ err }, 'checkpoint failed'))
          }
        })(),
      )
    },
    status() {
      const d = o.driver?.status()
      return {
        agentId: o.agentId,
        // Online means heard from: not merely "not yet given up" in the first seconds after start.
        online: lastContact !== null && !offline(),
        lastContactAt: lastContact ? new Date(lastContact).toISOString() : null,
        replicaUpToDate: replica?.upToDate ?? false,
        syncLagMs: replica?.lastSyncAt ? now() - replica.lastSyncAt.getTime() : null,
        outboxDepth: journal.depth(),
        rejectedChanges: journal.rejectedCount(),
        windowFound: d?.windowFound ?? false,
        lastCaptureAt: d?.lastCaptureAt ? d.lastCaptureAt.toISOString() : null,
        captured,
        sent,
        startedAt: startedAt.toISOString(),
      }
    },
    async checkpoint() {
      await writing
      const covered = journal.lastSeq()
      const image = await replica.snapshot()
      journal.saveCheckpoint(image, covered)
    },
    async stop(opts = {}) {
      stopper.abort()
      await sender?.stop()
      await uplink?.stop()
      replica?.stopSync()
      await Promise.allSettled(loops)
      if (o.driver) await o.driver.stop()
      await writing
      if (opts.checkpoint !== false && replica) await agent.checkpoint()
      await replica?.close()
      journal.close()
    },
  }
  return agent
}
