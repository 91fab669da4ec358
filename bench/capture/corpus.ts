/**
 * Customer messages for the capture bench: what a shop's customers type into WeChat, with
 * order numbers, prices, phone numbers, Latin product names, full- and half-width
 * punctuation, and lengths from two characters to a four-line bubble. Seeded, so every run
 * reads the same screens.
 */

const ORDER_PREFIX = ['A', 'JD', 'TB', 'SF', 'YT', 'DD']
const PRODUCTS = [
  'iPhone 15 Pro',
  'AirPods Pro',
  'Nike Air Max 270',
  'MacBook Air M3',
  'Kindle',
  'Switch OLED',
  'Dyson V12',
]
const SIZES = ['S', 'M', 'L', 'XL', 'XXL', '38码', '42码']
const COLOURS = ['黑色', '白色', '藏青色', '浅灰色', '酒红色']
const CITIES = [
  '北京市朝阳区建国路',
  '上海市浦东新区世纪大道',
  '广州市天河区体育西路',
  '深圳市南山区科技园南路',
  '杭州市西湖区文三路',
]

const TEMPLATES: ReadonlyArray<(r: Pick) => string> = [
  () => '在吗？',
  () => '好的，谢谢！',
  () => '收到',
  () => 'OK',
  (r) => `请问订单 ${r.order()} 什么时候发货？`,
  (r) => `我的快递单号是 ${r.order()}，麻烦帮我查一下到哪了。`,
  (r) => `${r.of(PRODUCTS)} 还有货吗？想要${r.of(COLOURS)}的。`,
  (r) => `退款 ${r.price()} 元已经申请了三天，怎么还没到账？`,
  (r) => `衣服尺码偏小，能换成 ${r.of(SIZES)} 吗？`,
  (r) => `收货地址改成${r.of(CITIES)}${r.int(1, 300)}号，电话 ${r.phone()}。`,
  (r) => `优惠券 ${r.code()} 用不了，提示"已过期"。`,
  (r) => `第${r.int(2, 9)}次问了：${r.of(PRODUCTS)} 的发票能开公司抬头吗?`,
  (r) => `价格 ${r.price()}，运费 ${r.int(0, 30)} 元，一共多少钱？`,
  (r) =>
    `你好，我上周在你们店买了一台 ${r.of(PRODUCTS)}，订单号 ${r.order()}。收到以后发现屏幕有一条划痕，包装也有破损，想申请换货，请问需要提供哪些照片？`,
  (r) =>
    `麻烦确认一下：1. 颜色${r.of(COLOURS)}；2. 尺码 ${r.of(SIZES)}；3. 数量 ${r.int(1, 5)} 件。确认无误的话今天能发出吗？`,
  (r) =>
    `我是老客户了（会员号 VIP${r.digits(6)}），这次活动满 ${r.int(2, 9)}00 减 ${r.int(1, 9)}0 为什么没有自动减？客服电话一直占线，只好在微信上问你们。`,
  (r) => `Hi, is ${r.of(PRODUCTS)} available in ${r.of(['black', 'white', 'blue'])}?`,
  (r) =>
    `发票抬头：${r.of(['杭州小鱼科技有限公司', '北京青禾贸易有限公司'])}，税号 91330${r.digits(13)}`,
]

interface Pick {
  int(lo: number, hi: number): number
  of<T>(xs: readonly T[]): T
  digits(n: number): string
  order(): string
  price(): string
  phone(): string
  code(): string
}

/** A small deterministic PRNG (mulberry32). */
export function createRandom(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** `n` customer messages, the same for the same `seed`. */
export function captureCorpus(n: number, seed = 20240518): string[] {
  const rnd = createRandom(seed)
  const int = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1))
  const pick: Pick = {
    int,
    of: (xs) => xs[Math.floor(rnd() * xs.length)] as (typeof xs)[number],
    digits: (k) => Array.from({ length: k }, () => String(int(0, 9))).join(''),
    order: () => `${pick.of(ORDER_PREFIX)}${pick.digits(int(8, 12))}`,
    price: () => `¥${int(9, 4999)}.${pick.digits(2)}`,
    phone: () => `1${pick.of(['38', '39', '58', '86'])}${pick.digits(8)}`,
    code: () =>
      Array.from({ length: 8 }, () => pick.of([...'ABCDEFGHJKMNPQRSTUVWXY3456789'])).join(''),
  }
  // Every template once before any repeats, so even a short run covers every shape.
  return Array.from({ length: n }, (_, i) =>
    (TEMPLATES[i < TEMPLATES.length ? i : int(0, TEMPLATES.length - 1)] as (r: Pick) => string)(
      pick,
    ),
  )
}
