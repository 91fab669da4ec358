import { expect, test } from 'vitest'
import { openPglite } from '@kefu/migrations'
import { resumeFromCommitted } from './replica.ts'

test('shapes read ahead of the committed LSN resume from it; others keep their offsets', async () => {
  const db = await openPglite({ vector: false })
  try {
    expect(await resumeFromCommitted(db)).toBe(0) // no subscription yet: nothing to do
    await db.exec(`CREATE SCHEMA electric; CREATE TABLE electric.subscriptions_metadata (key text PRIMARY KEY, shape_metadata jsonb NOT NULL, last_lsn text NOT NULL)`)
    await db.query(`INSERT INTO electric.subscriptions_metadata VALUES ('k', $1::text::jsonb, '100')`, [
      JSON.stringify({ faq: { handle: 'h1', offset: '120_inf' }, rules: { handle: 'h2', offset: '100_inf' }, x: { handle: 'h3', offset: '90_5' } }),
    ])
    expect(await resumeFromCommitted(db)).toBe(1)
    const r = await db.query<{ shape_metadata: Record<string, { offset: string; handle: string }> }>(`SELECT shape_metadata FROM electric.subscriptions_metadata`)
    expect(r[0]!.shape_metadata).toEqual({ faq: { handle: 'h1', offset: '100_inf' }, rules: { handle: 'h2', offset: '100_inf' }, x: { handle: 'h3', offset: '90_5' } })
  } finally {
    await db.close()
  }
})
