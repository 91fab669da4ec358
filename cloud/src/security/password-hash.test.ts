import { describe, expect, test } from 'vitest'
import { createPasswordHasher, generateSecret } from './password-hash.ts'

describe('password hashing', () => {
  const h = createPasswordHasher({ logN: 10 })

  test('a hash verifies its secret only, with a fresh salt each time and its cost recorded', async () => {
    const a = await h.hash('s3cret-密码')
    const b = await h.hash('s3cret-密码')
    expect(a).toMatch(/^scrypt\$10\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/)
    expect(a).not.toBe(b)
    expect(await h.verify('s3cret-密码', a)).toBe(true)
    expect(await h.verify('s3cret-密码 ', a)).toBe(false)
    expect(await h.verify('', a)).toBe(false)
  })

  test('a hash made at another cost still verifies (the cost travels with it)', async () => {
    const stronger = await createPasswordHasher({ logN: 12 }).hash('pw')
    expect(await h.verify('pw', stronger)).toBe(true)
  })

  test('canonically equivalent Unicode spellings are the same secret', async () => {
    const composed = await h.hash('caf\u00e9')
    expect(await h.verify('cafe\u0301', composed)).toBe(true)
  })

  test('missing or malformed stored hashes never verify, and cost as much as a real check', async () => {
    for (const stored of [
      null,
      '',
      'plain',
      'scrypt$99$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
      'scrypt$10$8$1$short$short',
    ])
      expect(await h.verify('pw', stored)).toBe(false)
  })

  test('generated secrets carry 256 bits and their prefix', () => {
    const s = generateSecret('kas')
    expect(s).toMatch(/^kas_[A-Za-z0-9_-]{43}$/)
    expect(generateSecret('kas')).not.toBe(s)
  })
})
