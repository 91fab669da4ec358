/**
 * The hostile suite on a real Postgres (a fresh database of its own): the same generators and
 * invariants as hostile.test.ts, another seed. Postgres differs from PGlite where it matters
 * here — parameter encoding (postgres.js), concurrency, error codes — so both engines are run.
 */
import { hostileSuite } from './hostile-suite.ts'

hostileSuite('postgres', 4_242)
