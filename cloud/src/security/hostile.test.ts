/**
 * The hostile suite on embedded PGlite: more than a thousand generated bad inputs across the
 * REST API and `/v1/shape`. No 5xx, no write to any table, no row an agent may not see.
 */
import { hostileSuite } from './hostile-suite.ts'

hostileSuite('pglite', 20_240_611)
