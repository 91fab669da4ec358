/**
 * The look-alike WeChat's model: chats, their bubbles, unread badges and which chat is open.
 * The page renders it; the control API and the page's own input box change it. Every change
 * bumps `version`, and `waitForChange` lets the page long-poll for the next one.
 *
 *   push (customer) ──► chat open? ── yes ──► bubble appears, no badge
 *                                     no ──► bubble + badge +1 (+ "[有人@我]" when @'d)
 *   open (click)    ──► badge cleared, mention flag cleared
 *   send (input box)──► our bubble, recorded in `sent`
 *   human (control) ──► the chat is opened and a bubble of ours appears, not in `sent`
 */

/** Who put a bubble on the screen. */
export const Origin = { customer: 'customer', input: 'input', human: 'human' } as const
/** Who put a bubble on the screen. */
export type Origin = (typeof Origin)[keyof typeof Origin]

/** One bubble. */
export interface LookalikeMessage {
  id: number
  side: 'customer' | 'self'
  sender: string | null
  text: string
  at: number
  origin: Origin
}

/** One chat in the list. */
export interface LookalikeChat {
  key: string
  title: string
  group: boolean
  members: number
  unread: number
  mentioned: boolean
  lastAt: number
  /** Bumped by every bubble; the list is sorted by it, newest first. */
  activity: number
  messages: LookalikeMessage[]
}

/** What the page renders. */
export interface LookalikeSnapshot {
  version: number
  selfName: string
  openChat: string | null
  chats: LookalikeChat[]
}

/** A customer message arriving. */
export interface PushInput {
  chat: string
  text: string
  title?: string | undefined
  group?: boolean | undefined
  sender?: string | undefined
  members?: number | undefined
}

/** Options for {@link createLookalikeState}. */
export interface LookalikeStateOptions {
  /** Our own display name in groups; `@name` in a group message marks a mention. */
  selfName?: string
  now?: () => number
}

/** The mutable model behind the look-alike page. */
export type LookalikeState = ReturnType<typeof createLookalikeState>

/** Creates an empty look-alike model. */
export function createLookalikeState(opts: LookalikeStateOptions = {}) {
  const now = opts.now ?? Date.now
  const selfName = opts.selfName ?? '客服小美'
  let chats = new Map<string, LookalikeChat>()
  let openChat: string | null = null
  let version = 0
  let nextId = 1
  let waiters: Array<() => void> = []

  const changed = (): number => {
    version += 1
    const ws = waiters
    waiters = []
    for (const w of ws) w()
    return version
  }

  const ensure = (key: string, init: Partial<PushInput> = {}): LookalikeChat => {
    let chat = chats.get(key)
    if (!chat) {
      const group = init.group ?? false
      chat = {
        key,
        title: init.title ?? key,
        group,
        members: init.members ?? (group ? 8 : 1),
        unread: 0,
        mentioned: false,
        lastAt: now(),
        activity: 0,
        messages: [],
      }
      chats.set(key, chat)
    } else if (init.title !== undefined) chat.title = init.title
    return chat
  }

  const append = (chat: LookalikeChat, m: Omit<LookalikeMessage, 'id' | 'at'>): void => {
    const at = now()
    const id = nextId++
    chat.messages.push({ ...m, id, at })
    chat.lastAt = at
    chat.activity = id
  }

  return {
    get version(): number {
      return version
    },
    /** A customer message arrives (badge +1 unless the chat is open). */
    push(input: PushInput): number {
      const chat = ensure(input.chat, input)
      const sender = chat.group ? (input.sender ?? '群成员') : null
      append(chat, { side: 'customer', sender, text: input.text, origin: 'customer' })
      if (openChat !== chat.key) {
        chat.unread += 1
        if (chat.group && (input.text.includes(`@${selfName}`) || input.text.includes('@所有人')))
          chat.mentioned = true
      }
      return changed()
    },
    /** A person at the PC opens the chat and types a reply in WeChat itself. */
    human(key: string, text: string): number {
      const chat = ensure(key)
      openChat = key
      chat.unread = 0
      chat.mentioned = false
      append(chat, { side: 'self', sender: null, text, origin: 'human' })
      return changed()
    },
    /** The page's input box sent `text` to the open chat. */
    send(key: string, text: string): number {
      const chat = chats.get(key)
      if (!chat) return version
      append(chat, { side: 'self', sender: null, text, origin: 'input' })
      return changed()
    },
    /** A chat row was clicked. */
    open(key: string): number {
      const chat = chats.get(key)
      if (!chat) return version
      openChat = key
      chat.unread = 0
      chat.mentioned = false
      return changed()
    },
    /** Forgets every chat. */
    reset(): number {
      chats = new Map()
      openChat = null
      return changed()
    },
    /** Texts typed into the input box and sent, per chat key. */
    sent(): Record<string, string[]> {
      const out: Record<string, string[]> = {}
      for (const chat of chats.values()) {
        const texts = chat.messages.filter((m) => m.origin === 'input').map((m) => m.text)
        if (texts.length > 0) out[chat.key] = texts
      }
      return out
    },
    snapshot(): LookalikeSnapshot {
      const list = [...chats.values()].sort((a, b) => b.activity - a.activity)
      return { version, selfName, openChat, chats: structuredClone(list) }
    },
    /** Resolves once `version` exceeds `after`, or after `timeoutMs`. */
    waitForChange(after: number, timeoutMs: number): Promise<void> {
      if (version > after) return Promise.resolve()
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          waiters = waiters.filter((w) => w !== done)
          resolve()
        }, timeoutMs)
        const done = (): void => {
          clearTimeout(timer)
          resolve()
        }
        waiters.push(done)
      })
    },
  }
}
