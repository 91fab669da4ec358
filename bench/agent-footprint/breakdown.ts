/**
 * Where the measured process's RSS goes, for the footprint bench's details: the kernel's view
 * (/proc/self/smaps: file-backed code, the WebAssembly linear memory's resident pages, the rest
 * of the anonymous memory) beside the runtime's (V8 heap, array buffers) and PGlite's (its wasm
 * memory size, and the Emscripten MEMFS holding the data directory as JS typed arrays).
 */
import { readFileSync } from 'node:fs'

/** Megabytes, one decimal. */
export const mb = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10

export interface SmapsBreakdown {
  rss_mb: number
  /** Mapped files: the node binary, shared libraries, native addons (better-sqlite3). */
  file_mb: number
  /** Resident pages of the WebAssembly memories given (PGlite's linear memory). */
  wasm_memory_mb: number
  /** The main thread's malloc heap (brk): array buffers, MEMFS files, SQLite, zlib… */
  brk_heap_mb: number
  /** Other anonymous mappings of 1 MB or less: mostly V8 heap pages and code. */
  anon_small_mb: number
  /** Other anonymous mappings over 1 MB: malloc arenas of other threads, large mmapped blocks. */
  anon_large_mb: number
}

/**
 * Splits the RSS by mapping, from /proc/self/smaps (null where there is none). A WebAssembly
 * memory is told apart by its size (`wasmBytes`: its buffer's byteLength).
 */
export function smapsBreakdown(wasmBytes: readonly number[] = []): SmapsBreakdown | null {
  let text: string
  try {
    text = readFileSync('/proc/self/smaps', 'utf8')
  } catch {
    return null
  }
  const wasmSizes = new Set(wasmBytes)
  const sum = { file: 0, wasm: 0, brk: 0, small: 0, large: 0 }
  let size = 0
  let path = ''
  for (const line of text.split('\n')) {
    const header = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \d+\s*(.*)$/.exec(line)
    if (header) {
      size = parseInt(header[2]!, 16) - parseInt(header[1]!, 16)
      path = header[3] ?? ''
      continue
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line)
    if (!rss) continue
    const bytes = Number(rss[1]) * 1024
    if (path.startsWith('/')) sum.file += bytes
    else if (path === '[heap]') sum.brk += bytes
    else if (wasmSizes.has(size)) sum.wasm += bytes
    else if (size <= 2 ** 20) sum.small += bytes
    else sum.large += bytes
  }
  return {
    rss_mb: mb(sum.file + sum.wasm + sum.brk + sum.small + sum.large),
    file_mb: mb(sum.file),
    wasm_memory_mb: mb(sum.wasm),
    brk_heap_mb: mb(sum.brk),
    anon_small_mb: mb(sum.small),
    anon_large_mb: mb(sum.large),
  }
}

interface FsNode {
  mode: number
  contents: Record<string, FsNode> | ArrayBufferView | null
  usedBytes?: number
}

interface EmscriptenModule {
  HEAP8: Int8Array
  FS: { lookupPath(path: string): { node: FsNode }; isDir(mode: number): boolean }
}

export interface PgliteBreakdown {
  /** The wasm linear memory's current size (its resident part is `wasm_memory_mb` above). */
  wasm_heap_mb: number
  /** The files of MEMFS (data directory, PGlite's share folder…), as used and as allocated. */
  memfs_used_mb: number
  memfs_allocated_mb: number
  memfs_files: number
  /** Of which the data directory, and in it the WAL. */
  pgdata_used_mb: number
  pgwal_used_mb: number
}

/** PGlite's memory: its wasm heap and the in-memory files (`pg.Module` of a PGlite). */
export function pgliteBreakdown(mod: EmscriptenModule): PgliteBreakdown {
  let used = 0
  let allocated = 0
  let files = 0
  let pgdata = 0
  let wal = 0
  const walk = (node: FsNode, path: string) => {
    if (mod.FS.isDir(node.mode)) {
      for (const [name, child] of Object.entries((node.contents ?? {}) as Record<string, FsNode>))
        walk(child, `${path}/${name}`)
      return
    }
    // MEMFS holds Uint8Arrays or Int8Arrays (slices of the wasm heap), whichever it was given.
    if (!ArrayBuffer.isView(node.contents)) return
    files++
    const n = node.usedBytes ?? node.contents.byteLength
    used += n
    allocated += node.contents.byteLength
    if (path.startsWith('/pglite/data/') || path.startsWith('/tmp/pglite/base/')) {
      pgdata += n
      if (path.includes('/pg_wal/')) wal += n
    }
  }
  walk(mod.FS.lookupPath('/').node, '')
  return {
    wasm_heap_mb: mb(mod.HEAP8.buffer.byteLength),
    memfs_used_mb: mb(used),
    memfs_allocated_mb: mb(allocated),
    memfs_files: files,
    pgdata_used_mb: mb(pgdata),
    pgwal_used_mb: mb(wal),
  }
}
