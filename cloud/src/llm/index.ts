/**
 * The LLM gateway of the cloud: seven providers behind one `complete`/`stream` API with
 * failover, timeouts, retries, per-provider circuit breakers and per-attempt accounting.
 * Also the fake provider server and overhead measurement used by tests and benchmarks.
 */
export {
  createLlmGateway,
  abortableSleep,
  defaultGatewayOptions,
  type GatewayProviderConfig,
  type GatewayTrace,
  type LlmGateway,
  type LlmGatewayOptions,
  type ProviderStatus,
} from './gateway.ts'
export type {
  DeltaHandler,
  LlmAttemptError,
  LlmCallRecord,
  LlmErrorKind,
  LlmFailure,
  LlmMessage,
  LlmReply,
  LlmRequest,
  LlmResult,
  LlmUsage,
} from './types.ts'
export {
  CNY_PER_USD,
  PROVIDERS,
  ProviderId,
  Wire,
  costUsd,
  isProviderId,
  type Price,
  type ProviderSpec,
} from './providers.ts'
export { BreakerKind, defaultBreakerOptions, type BreakerOptions } from './breaker.ts'
export { ErrorKind, defaultBackoff, type BackoffOptions } from './retry-policy.ts'
export {
  startFakeProvider,
  type FakeAnswer,
  type FakeCounts,
  type FakeProviderControl,
  type FakeProviderServer,
  type FakeRequest,
} from './fake-provider.ts'
export {
  measureGatewayOverhead,
  type GatewayOverhead,
  type OverheadOptions,
} from './gateway-overhead.ts'
