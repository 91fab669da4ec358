/**
 * Small talk: messages that are only a greeting, thanks, goodbye or acknowledgement. The agent
 * answers these offline; anything with a question in it ("你好 我的快递到哪了") is not small
 * talk. A message is small talk when, after normalising, it can be entirely covered by the
 * phrases below plus particles and sentence fillers.
 */
import { normalise } from './normalise.ts'

/** What kind of small talk a message is. */
export const SmallTalkKind = {
  greeting: 'greeting',
  thanks: 'thanks',
  bye: 'bye',
  ack: 'ack',
} as const
/** One of {@link SmallTalkKind}. */
export type SmallTalkKind = (typeof SmallTalkKind)[keyof typeof SmallTalkKind]

/**
 * The canned replies to small talk, the same from the cloud's pipeline and the offline agent
 * (an acknowledgement needs none).
 */
export const SMALL_TALK_REPLY: Readonly<Record<Exclude<SmallTalkKind, 'ack'>, string>> = {
  greeting: '您好，请问有什么可以帮您？',
  thanks: '不客气，有需要随时找我们哦～',
  bye: '好的，祝您生活愉快，再见！',
}

/** Splits a whitespace-separated list (messages are compared without spaces, so are phrases). */
const words = (list: string) => list.trim().split(/\s+/)

// Forms of address: a greeting on their own ("亲？"), neutral next to anything else ("好的亲").
const ADDRESS = words('亲亲 亲 客服 老板 小姐姐 小哥哥 美女 帅哥 掌柜 店家 请问')

const PHRASES: Readonly<Record<SmallTalkKind, readonly string[]>> = {
  greeting: words(`
    你好 您好 你们好 大家好 在吗 在不在 在么 在嘛 有人吗 有人在吗 哈喽 哈罗 嗨 早上好 上午好
    中午好 下午好 晚上好 早安 晚安 早 hello hi hey hallo helo nihao zaima`),
  thanks: words(`
    谢谢你 谢谢您 谢谢 谢啦 谢了 多谢 感谢 感恩 辛苦了 辛苦 麻烦了 3q thanks thankyou thx ty`),
  bye: words('再见 拜拜 回见 下次见 886 88 bye byebye'),
  ack: words(`
    好的 好滴 好哒 好嘞 好 行 可以 嗯嗯 嗯 哦哦 哦 噢 收到 知道了 明白了 明白 了解 懂了 ok okay
    okk get 没问题 没事了 没事 好吧`),
}

// Fillers that may surround any small-talk phrase.
const FILLERS = words(`
  啊 呀 哈 哈哈 哈哈哈 呢 吧 啦 哦 喔 嘛 的 了 哟 呐 哇 您 你 非常 太 真的 很 大家 哈哈哈哈 呵呵`)

// Longest phrase first so "谢谢你" wins over "谢谢".
const LEXICON = [
  ...Object.entries(PHRASES).flatMap(([kind, ps]) =>
    ps.map((p) => ({ p, kind: kind as SmallTalkKind })),
  ),
  ...ADDRESS.map((p) => ({ p, kind: 'address' as const })),
  ...FILLERS.map((p) => ({ p, kind: null })),
].sort((a, b) => b.p.length - a.p.length)

// Which kind wins when a message mixes them ("好的 谢谢 再见" is a goodbye).
const PRIORITY: readonly SmallTalkKind[] = ['bye', 'thanks', 'greeting', 'ack']

/**
 * The small-talk kind of `text`, or null when it holds anything else. Messages longer than
 * 30 characters are never small talk.
 */
export function classifySmallTalk(text: string): SmallTalkKind | null {
  const s = normalise(text).replace(/\s+/g, '')
  if (s === '' || [...s].length > 30) return null
  const seen = new Set<SmallTalkKind | 'address'>()
  let i = 0
  outer: while (i < s.length) {
    for (const { p, kind } of LEXICON) {
      if (s.startsWith(p, i)) {
        if (kind) seen.add(kind)
        i += p.length
        continue outer
      }
    }
    return null
  }
  return PRIORITY.find((k) => seen.has(k)) ?? (seen.has('address') ? 'greeting' : null)
}

/** Whether `text` is only small talk (greeting, thanks, goodbye or acknowledgement). */
export function isSmallTalk(text: string): boolean {
  return classifySmallTalk(text) !== null
}

/** Whether `text` is only a greeting ("你好", "在吗", "亲 在不在呀", "hello"). */
export function isGreeting(text: string): boolean {
  return classifySmallTalk(text) === 'greeting'
}
