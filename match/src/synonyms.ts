/**
 * A small customer-service thesaurus: colloquial, abbreviated and common misspelt forms and
 * the canonical word an FAQ editor would write. Tokenising appends the canonical word when a
 * text holds another member of its group, so "咋退钱" also carries 怎么 and 退款. It is general
 * e-commerce vocabulary, not fitted to any one dataset; keep groups tight — a loose group
 * (e.g. 快递 = 物流 = 包裹) blurs distinct questions.
 */

/** Groups of interchangeable Han words; the first is the canonical form. */
export const HAN_SYNONYMS: readonly (readonly string[])[] = [
  ['怎么', '咋', '怎样', '如何', '怎么样', '肿么', '咋样'],
  ['什么', '啥', '神马', '什么样'],
  ['怎么办', '咋办', '咋整', '怎么弄', '咋弄', '怎么处理'],
  // "When" and "how long" are one question to a customer waiting for something.
  ['多久', '多长时间', '几天', '多少天', '多长', '什么时候', '啥时候', '何时', '几时', '哪天'],
  ['没有', '木有', '没得'],
  ['可以', '能不能', '能否', '可不可以', '行不行'],
  ['多少钱', '价钱', '价格', '价位'],
  ['退款', '退钱', '退费', '返款'],
  ['运费', '邮费', '快递费', '运费钱'],
  ['优惠券', '优惠卷', '券', '卷'],
  ['尺码', '码数', '码子'],
  ['门店', '实体店', '线下店', '店里', '专卖店'],
  ['发票', '开票', '票据'],
  ['保修', '质保', '保固'],
  ['取消', '撤销', '撤回'],
  ['手机号', '手机号码', '电话号码'],
  ['损坏', '坏了', '破损', '摔坏'],
  ['故障', '毛病', '出问题'],
  ['客服', '人工', '真人'],
  ['微信', '威信', '薇信'],
  ['包邮', '免运费', '免邮'],
  ['便宜', '优惠一点', '少点'],
  ['正品', '真货', '保真'],
  ['假货', '高仿', '山寨'],
  ['预售', '预定', '预订'],
  ['定金', '订金'],
  ['账号', '账户', '帐号', '帐户'],
  ['注销', '销户'],
  ['洗衣机', '机洗'],
  ['颜色', '色号'],
]

/** Latin abbreviations customers type for brands and payment methods. */
export const LATIN_ALIASES: Readonly<Record<string, string>> = {
  sf: '顺丰',
  zfb: '支付宝',
  alipay: '支付宝',
  wx: '微信',
  vx: '微信',
  wechat: '微信',
  hb: '花呗',
  xyk: '信用卡',
  kd: '快递',
  jd: '京东',
  tb: '淘宝',
  vip: '会员',
  plus: '会员',
}

// Every non-canonical form, longest first, so 啥时候 is read before 啥 could be.
const HAN_FORMS = HAN_SYNONYMS.flatMap((g) =>
  g.slice(1).map((form) => ({ form, canonical: g[0]! })),
).sort((a, b) => b.form.length - a.form.length)

/**
 * The canonical words implied by `text` (already normalised) that it does not contain
 * itself. A form is consumed once read, so the 啥 inside 啥时候 does not also imply 什么.
 * Latin tokens are looked up whole.
 */
export function expandSynonyms(text: string, latinTokens: readonly string[]): string[] {
  const out: string[] = []
  let rest = text
  for (const { form, canonical } of HAN_FORMS) {
    if (!rest.includes(form)) continue
    rest = rest.replaceAll(form, ' ')
    if (!text.includes(canonical) && !out.includes(canonical)) out.push(canonical)
  }
  for (const t of latinTokens) {
    const alias = LATIN_ALIASES[t]
    if (alias !== undefined && !text.includes(alias) && !out.includes(alias)) out.push(alias)
  }
  return out
}
