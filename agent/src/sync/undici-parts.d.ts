// Types for the three undici modules request-fetch.ts loads on their own (undici's index, which
// has the types, loads the whole library: see request-fetch.ts). Their paths are undici's
// internals, so agent/package.json pins its exact version; request-fetch.test.ts loads them.
declare module 'undici/lib/dispatcher/agent.js' {
  import type { Agent } from 'undici'
  const AgentClass: typeof Agent
  export default AgentClass
}
declare module 'undici/lib/api/api-request.js' {
  import type { Dispatcher } from 'undici'
  /** `Dispatcher.prototype.request`, which undici's index attaches to every dispatcher. */
  function request(
    this: Dispatcher,
    options: Dispatcher.RequestOptions,
  ): Promise<Dispatcher.ResponseData>
  export default request
}
declare module 'undici/lib/interceptor/redirect.js' {
  import type { interceptors } from 'undici'
  const redirect: typeof interceptors.redirect
  export default redirect
}
