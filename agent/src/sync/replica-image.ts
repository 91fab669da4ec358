/**
 * The replica's checkpoint image: its Postgres data directory as a gzipped ustar archive (the
 * format of PGlite's `dumpDataDir('gzip')`, which reads it too), written and read as streams so
 * that no whole copy of the database is ever held beside the in-memory files themselves:
 *
 *   write: MEMFS files ─(views, Postgres paused)─► tar ─► gzip ─► chunks ─► seal ─► journal
 *   read:  journal ─► open, chunk by chunk ─► gunzip ─► untar ─► one array per file ─► MEMFS
 *
 * Read back, each file is one exact-size array that MEMFS adopts (`canOwn`) instead of copying.
 * The whole image opened and handed to PGlite's `loadDataDir` meant the sealed, opened, copied
 * and unpacked image, the parsed archive and the files all at once: 135 MB of array buffers
 * for a 35 MB data directory, most of which malloc kept after it was freed (bench/agent-footprint).
 */
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { createGunzip, createGzip } from 'node:zlib'
import { MemoryFS } from '@electric-sql/pglite'

/** One entry of an image: a directory (`data` null) or a file, its path relative to PGDATA. */
export interface ImageEntry {
  path: string
  data: Uint8Array | null
  mtime: number
}

/** The part of the Emscripten FS the image needs. */
export interface ImageFs {
  lookupPath(path: string): { node: FsNode }
  isDir(mode: number): boolean
  isFile(mode: number): boolean
  analyzePath(path: string): { exists: boolean }
  mkdir(path: string): unknown
  writeFile(path: string, data: Uint8Array, opts?: { canOwn?: boolean }): void
  utime(path: string, atime: number, mtime: number): void
}

interface FsNode {
  mode: number
  mtime?: number
  contents: Record<string, FsNode> | ArrayBufferView | null
  usedBytes?: number
}

/**
 * A MEMFS file's bytes, in place. MEMFS keeps whatever typed array it was handed or sliced:
 * a Uint8Array for files loaded here, an Int8Array (a slice of HEAP8) for files Postgres
 * created, so any view is read as bytes.
 */
export function fileBytes(node: { contents: unknown; usedBytes?: number }): Uint8Array {
  const c = node.contents
  if (c === null || c === undefined) return new Uint8Array(0)
  // Never drop a file's bytes silently: an image without them would not open.
  if (!ArrayBuffer.isView(c)) throw new Error('checkpoint image: a file holds no typed array')
  return new Uint8Array(
    c.buffer,
    c.byteOffset,
    Math.min(node.usedBytes ?? c.byteLength, c.byteLength),
  )
}

/** Where PGlite keeps its data directory (it sets `ENV.PGDATA` to it before starting). */
export const PGDATA = '/pglite/data'

const BLOCK = 512

// ── reading ────────────────────────────────────────────────────────────────────────────────

const text = (b: Uint8Array, at: number, len: number) => {
  const end = b.indexOf(0, at)
  return Buffer.from(
    b.buffer,
    b.byteOffset + at,
    (end < 0 || end > at + len ? at + len : end) - at,
  ).toString('utf8')
}
const octal = (b: Uint8Array, at: number, len: number) => {
  const s = text(b, at, len).trim()
  return s === '' ? 0 : parseInt(s, 8)
}
const clean = (p: string) => p.replace(/^(\.?\/)+/, '').replace(/\/+$/, '')

/**
 * A push parser of (gunzipped) tar bytes: regular files and directories, with the ustar
 * prefix, GNU long names and pax paths; anything else (links, devices) is skipped.
 */
export function createTarReader(): { push(chunk: Uint8Array): void; end(): ImageEntry[] } {
  const entries: ImageEntry[] = []
  const header = new Uint8Array(BLOCK)
  let headerFill = 0
  // The entry being read: its data (null: skipped), how much is left, and the padding after it.
  let body: Uint8Array | null = null
  let bodyAt = 0
  let left = 0
  let pad = 0
  let kind: 'file' | 'longname' | 'pax' | 'skip' = 'skip'
  let path = ''
  let mtime = 0
  let nextName: string | null = null
  let ended = false

  const startEntry = () => {
    if (header.every((x) => x === 0)) {
      ended = true // end-of-archive marker
      return
    }
    let sum = 0
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : header[i]!
    if (sum !== octal(header, 148, 8)) throw new Error('checkpoint image: bad tar header checksum')
    const size = octal(header, 124, 12)
    const type = String.fromCharCode(header[156]!)
    const prefix = text(header, 257, 6) === 'ustar' ? text(header, 345, 155) : ''
    path = clean(nextName ?? (prefix ? `${prefix}/${text(header, 0, 100)}` : text(header, 0, 100)))
    nextName = null
    mtime = octal(header, 136, 12)
    left = size
    pad = (BLOCK - (size % BLOCK)) % BLOCK
    body = null
    bodyAt = 0
    if (type === '5') {
      if (path) entries.push({ path, data: null, mtime })
      kind = 'skip'
    } else if (type === '0' || type === '\0' || type === '7') {
      kind = 'file'
      body = new Uint8Array(size)
    } else if (type === 'L' || type === 'x') {
      kind = type === 'L' ? 'longname' : 'pax'
      body = new Uint8Array(size)
    } else kind = 'skip'
    if (left === 0) finishEntry()
  }

  const finishEntry = () => {
    if (kind === 'file') entries.push({ path, data: body!, mtime })
    else if (kind === 'longname') nextName = text(body!, 0, body!.length)
    else if (kind === 'pax') {
      const m = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(Buffer.from(body!).toString('utf8'))
      if (m) nextName = m[1]!
    }
    body = null
  }

  return {
    push(chunk) {
      let at = 0
      while (at < chunk.length && !ended) {
        if (left > 0) {
          const n = Math.min(left, chunk.length - at)
          if (body) body.set(chunk.subarray(at, at + n), bodyAt)
          bodyAt += n
          left -= n
          at += n
          if (left === 0) finishEntry()
        } else if (pad > 0) {
          const n = Math.min(pad, chunk.length - at)
          pad -= n
          at += n
        } else {
          const n = Math.min(BLOCK - headerFill, chunk.length - at)
          header.set(chunk.subarray(at, at + n), headerFill)
          headerFill += n
          at += n
          if (headerFill === BLOCK) {
            headerFill = 0
            startEntry()
          }
        }
      }
    },
    end() {
      if (!ended) throw new Error('checkpoint image: truncated tar archive')
      return entries
    },
  }
}

/**
 * Gunzips and unpacks an image. Chunks may come from a decrypting generator that throws at
 * its end when the data fails authentication: then this rejects with that error (also when
 * the altered bytes broke the gzip or tar stream first), and nothing was used.
 */
export async function readImage(
  gz: Iterable<Uint8Array> | AsyncIterable<Uint8Array>,
): Promise<ImageEntry[]> {
  const source: Iterator<Uint8Array> | AsyncIterator<Uint8Array> =
    Symbol.asyncIterator in gz ? gz[Symbol.asyncIterator]() : gz[Symbol.iterator]()
  // Fed through a generator of our own, so that a failed pipeline does not close `source`.
  async function* feed() {
    for (let r = await source.next(); !r.done; r = await source.next()) yield r.value
  }
  const tar = createTarReader()
  try {
    await pipeline(
      Readable.from(feed(), { objectMode: false, highWaterMark: 1 }),
      createGunzip({ chunkSize: 128 * 1024 }),
      async (chunks: AsyncIterable<Buffer>) => {
        for await (const chunk of chunks) tar.push(chunk)
      },
    )
    return tar.end()
  } catch (err) {
    // The source's verdict comes first: read it to its end (a tampered image fails there).
    for (let r = await source.next(); !r.done; r = await source.next());
    throw err
  }
}

/** Puts an image's entries into an Emscripten FS under `root`; MEMFS adopts the files' arrays. */
export function loadImage(fs: ImageFs, root: string, entries: ImageEntry[]): void {
  const mkdirs = (path: string) => {
    let p = ''
    for (const part of path.split('/').filter(Boolean)) {
      p += `/${part}`
      if (!fs.analyzePath(p).exists) fs.mkdir(p)
    }
  }
  mkdirs(root)
  for (const e of entries) {
    const path = `${root}/${e.path}`
    if (e.data === null) {
      mkdirs(path)
      continue
    }
    mkdirs(path.slice(0, path.lastIndexOf('/')))
    fs.writeFile(path, e.data, { canOwn: true })
    fs.utime(path, e.mtime * 1000, e.mtime * 1000)
  }
}

// ── writing ────────────────────────────────────────────────────────────────────────────────

const enc = new TextEncoder()

function tarHeader(name: string, size: number, mtime: number, type: '0' | '5'): Uint8Array {
  const h = new Uint8Array(BLOCK)
  const put = (s: string, at: number, len: number) => {
    const b = enc.encode(s)
    if (b.length > len) throw new Error(`checkpoint image: "${s}" does not fit a tar header`)
    h.set(b, at)
  }
  const num = (n: number, at: number, len: number) =>
    put(`${n.toString(8).padStart(len - 1, '0')}\0`, at, len)
  let prefix = ''
  let base = name
  if (enc.encode(name).length > 100) {
    const cut = name.lastIndexOf('/', 155)
    prefix = name.slice(0, cut)
    base = name.slice(cut + 1)
  }
  put(base, 0, 100)
  num(type === '5' ? 0o755 : 0o644, 100, 8)
  num(0, 108, 8)
  num(0, 116, 8)
  num(size, 124, 12)
  num(Math.floor(mtime), 136, 12)
  h.fill(32, 148, 156)
  h[156] = type.charCodeAt(0)
  put('ustar\x0000', 257, 8)
  put(prefix, 345, 155)
  let sum = 0
  for (const x of h) sum += x
  put(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8)
  return h
}

/** The tar stream of the tree under `root`, the files' bytes as views of their MEMFS arrays. */
export function* tarParts(fs: ImageFs, root: string): Generator<Uint8Array> {
  const zeros = new Uint8Array(BLOCK * 2)
  const walk = function* (node: FsNode, rel: string): Generator<Uint8Array> {
    const mtime = (node.mtime ?? Date.now()) / 1000
    if (fs.isDir(node.mode)) {
      if (rel) yield tarHeader(`${rel}/`, 0, mtime, '5')
      const children = Object.entries((node.contents ?? {}) as Record<string, FsNode>)
      for (const [name, child] of children) yield* walk(child, rel ? `${rel}/${name}` : name)
    } else if (fs.isFile(node.mode)) {
      const data = fileBytes(node)
      yield tarHeader(rel, data.length, mtime, '0')
      if (data.length > 0) yield data
      const pad = (BLOCK - (data.length % BLOCK)) % BLOCK
      if (pad > 0) yield zeros.subarray(0, pad)
    }
  }
  yield* walk(fs.lookupPath(root).node, '')
  yield zeros
}

/**
 * The gzipped tar image of `root`, as chunks. The files are read in place while this runs:
 * nothing may write to them until it resolves (run it with the database paused).
 */
export async function writeImage(
  fs: ImageFs,
  root: string,
  opts: { level?: number } = {},
): Promise<Buffer[]> {
  const out: Buffer[] = []
  await pipeline(
    Readable.from(tarParts(fs, root), { objectMode: false, highWaterMark: 256 * 1024 }),
    createGzip({ level: opts.level ?? 6, chunkSize: 256 * 1024 }),
    async (source: AsyncIterable<Buffer>) => {
      for await (const chunk of source) out.push(chunk)
    },
  )
  return out
}

/**
 * An in-memory PGlite file system that starts with an image's data directory in it (PGlite
 * then finds a database and resumes it): the entries are handed over and dropped here.
 */
export class ImageMemoryFs extends MemoryFS {
  #entries: ImageEntry[] | null

  constructor(entries: ImageEntry[]) {
    super()
    this.#entries = entries
  }

  override async initialSyncFs(): Promise<void> {
    const entries = this.#entries
    this.#entries = null
    if (!entries || !this.pg) return
    const mod = this.pg.Module as unknown as { FS: ImageFs; ENV?: Record<string, string> }
    loadImage(mod.FS, mod.ENV?.['PGDATA'] ?? PGDATA, entries)
  }
}
