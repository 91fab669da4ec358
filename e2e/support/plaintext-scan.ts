/**
 * Looks for readable text in a folder the way someone who took the disk would: every file's
 * raw bytes, searched for each needle as UTF-8, UTF-16LE and UTF-16BE, and the same again
 * inside every gzip member found anywhere in a file (a compressed image or tarball).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { constants, inflateRawSync } from 'node:zlib'

/** One needle found: in which file, how encoded, and where. */
export interface Finding {
  file: string
  needle: string
  encoding: 'utf8' | 'utf16le' | 'utf16be'
  /** Byte offset of the gzip member the needle was found in, or null for the raw bytes. */
  gzipAt: number | null
}

/** Every regular file under `dir`, recursively. */
export function listFiles(dir: string): string[] {
  const out: string[] = []
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name)
    if (e.isDirectory()) out.push(...listFiles(p))
    else if (e.isFile()) out.push(p)
  }
  return out.sort()
}

const encodings = (needle: string): [Finding['encoding'], Buffer][] => {
  const le = Buffer.from(needle, 'utf16le')
  return [
    ['utf8', Buffer.from(needle, 'utf8')],
    ['utf16le', le],
    ['utf16be', Buffer.from(le).swap16()],
  ]
}

/** The deflate stream of a gzip member starting at `at` (RFC 1952 header), or null. */
function gzipBody(buf: Buffer, at: number): Buffer | null {
  if (buf[at] !== 0x1f || buf[at + 1] !== 0x8b || buf[at + 2] !== 0x08) return null
  const flags = buf[at + 3]!
  if (flags & 0xe0) return null
  let p = at + 10
  if (flags & 0x04) p += 2 + buf.readUInt16LE(p)
  if (flags & 0x08) p = buf.indexOf(0, p) + 1
  if (flags & 0x10) p = buf.indexOf(0, p) + 1
  if (flags & 0x02) p += 2
  return p > at && p < buf.length ? buf.subarray(p) : null
}

/** Every gzip member in `buf` that inflates (partly, at least), with its offset. */
export function gzipMembers(buf: Buffer): { at: number; data: Buffer }[] {
  const out: { at: number; data: Buffer }[] = []
  for (
    let at = buf.indexOf(0x1f);
    at !== -1 && at < buf.length - 10;
    at = buf.indexOf(0x1f, at + 1)
  ) {
    const body = gzipBody(buf, at)
    if (!body) continue
    try {
      // A member cut short (a torn write) still yields what it holds.
      const data = inflateRawSync(body, { finishFlush: constants.Z_SYNC_FLUSH })
      if (data.length > 0) out.push({ at, data })
    } catch {
      // random bytes that happened to look like a header
    }
  }
  return out
}

/** Finds `needles` in the files under `dir` (see the module comment). */
export function scanForPlaintext(
  dir: string,
  needles: readonly string[],
): { files: number; bytes: number; gzipMembers: number; findings: Finding[] } {
  const findings: Finding[] = []
  let bytes = 0
  let members = 0
  const files = listFiles(dir)
  for (const path of files) {
    const buf = readFileSync(path)
    bytes += statSync(path).size
    const file = relative(dir, path)
    const search = (hay: Buffer, gzipAt: number | null) => {
      for (const needle of needles)
        for (const [encoding, bytesOf] of encodings(needle))
          if (hay.includes(bytesOf)) findings.push({ file, needle, encoding, gzipAt })
    }
    search(buf, null)
    for (const m of gzipMembers(buf)) {
      members++
      search(m.data, m.at)
    }
  }
  return { files: files.length, bytes, gzipMembers: members, findings }
}
