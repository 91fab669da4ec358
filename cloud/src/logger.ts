import { pino, type Logger } from 'pino'

export type { Logger }

/** The root logger: JSON lines on stdout. Components take `logger.child({ component })`. */
export function createLogger(level = 'info'): Logger {
  return pino({ level, base: { app: 'kefu-cloud' } })
}

/** A logger that writes nothing, for tests. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' })
}
