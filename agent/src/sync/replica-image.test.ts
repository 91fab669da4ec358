import { afterAll, beforeAll, expect, test } from 'vitest'
import { gunzipSync } from 'node:zlib'
import { randomBytes } from 'node:crypto'
import { PGlite } from '@electric-sql/pglite'
import { CorruptDataError, createCipher } from '../store/crypto.ts'
import {
  createTarReader,
  ImageMemoryFs,
  PGDATA,
  readImage,
  writeImage,
  type ImageFs,
} from './replica-image.ts'

let pg: PGlite
let fs: ImageFs
beforeAll(async () => {
  pg = await PGlite.create()
  fs = pg.Module.FS as unknown as ImageFs
})
afterAll(() => pg.close())

const bytes = (n: number, seed: number) =>
  Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) % 251)

test('an image of MEMFS files reads back byte for byte, whatever typed array MEMFS holds them in', async () => {
  const root = '/tmp/image-test'
  fs.mkdir(root)
  fs.mkdir(`${root}/base`)
  fs.mkdir(`${root}/empty-dir`)
  fs.writeFile(`${root}/base/uint8`, bytes(20_000, 1))
  fs.writeFile(`${root}/empty`, new Uint8Array(0))
  // Files Postgres creates are slices of the wasm heap: MEMFS keeps them as Int8Arrays.
  fs.writeFile(`${root}/base/int8`, new Int8Array(bytes(8192, 2).buffer) as unknown as Uint8Array)
  // A path longer than a tar name field (100 bytes) goes through the ustar prefix.
  const deep = `${root}/${'d'.repeat(60)}`
  fs.mkdir(deep)
  fs.writeFile(`${deep}/${'f'.repeat(70)}`, bytes(513, 3))

  const gz = await writeImage(fs, root)
  const entries = await readImage(gz)
  const got = Object.fromEntries(
    entries.map((e) => [e.path, e.data === null ? 'dir' : [...e.data]]),
  )
  expect(got).toEqual({
    base: 'dir',
    'base/uint8': [...bytes(20_000, 1)],
    'base/int8': [...bytes(8192, 2)],
    empty: [],
    'empty-dir': 'dir',
    ['d'.repeat(60)]: 'dir',
    [`${'d'.repeat(60)}/${'f'.repeat(70)}`]: [...bytes(513, 3)],
  })
  // Each file its own exact-size array: MEMFS adopts it, nothing else is kept alive with it.
  for (const e of entries) if (e.data) expect(e.data.byteLength).toBe(e.data.buffer.byteLength)
})

test('images are plain tar.gz both ways: PGlite reads ours, we read PGlite’s own dump', async () => {
  await pg.exec(
    `CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t SELECT g, 'v' || g FROM generate_series(1, 500) g`,
  )
  await pg.exec(`CHECKPOINT`)
  const ours = await pg.runExclusive(() => writeImage(fs, PGDATA))
  const theirs = new Uint8Array(await (await pg.dumpDataDir('gzip')).arrayBuffer())

  const a = await PGlite.create({ loadDataDir: new Blob(ours as Uint8Array<ArrayBuffer>[]) })
  const b = await PGlite.create({ fs: new ImageMemoryFs(await readImage([theirs])) })
  try {
    for (const x of [a, b])
      expect((await x.query(`SELECT count(*)::int AS n, max(v) AS v FROM t`)).rows).toEqual([
        { n: 500, v: 'v99' },
      ])
  } finally {
    await a.close()
    await b.close()
  }
})

test('a torn or corrupt image is refused, not half loaded', async () => {
  const gz = Buffer.concat(await writeImage(fs, `${PGDATA}/global`))
  await expect(readImage([gz.subarray(0, gz.length - 40)])).rejects.toThrow()
  const tar = gunzipSync(gz)
  const r = createTarReader()
  tar[148] = 0x37 // the first header's checksum
  expect(() => r.push(tar)).toThrow(/checksum/)
  const cut = createTarReader()
  cut.push(gunzipSync(gz).subarray(0, 700))
  expect(() => cut.end()).toThrow(/truncated/)
})

test('an image that fails authentication is refused with CorruptDataError, nothing unpacked', async () => {
  const cipher = createCipher(randomBytes(32))
  const sealed = cipher.seal(await pg.runExclusive(() => writeImage(fs, PGDATA)), 'checkpoint')
  // The first byte of the gzip header altered: gunzip fails at once, long before the cipher's
  // verdict at the end, and that verdict is what is reported.
  sealed[29] = sealed[29]! ^ 0xff
  await expect(readImage(cipher.openChunks(sealed, 'checkpoint', 4096))).rejects.toThrow(
    CorruptDataError,
  )
})
