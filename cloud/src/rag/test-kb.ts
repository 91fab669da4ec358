/**
 * A small knowledge base for the rag tests: FAQ lines in the import format and a policy
 * document, plus a helper that opens a migrated database.
 */
import { migrate, type Db } from '@kefu/migrations'

/** FAQ entries (JSONL) covering distinct topics, with a few near neighbours. */
export const FAQ_JSONL = [
  {
    id: 'ship',
    question: '下单后多久发货？',
    answer: '现货商品付款后48小时内发货。',
    variants: ['什么时候发货'],
  },
  {
    id: 'sf',
    question: '可以指定顺丰发货吗？',
    answer: '可以，联系客服补运费差价12元，顺丰一般1-2天送达。',
  },
  {
    id: 'track',
    question: '怎么查询物流信息？',
    answer: '在"我的订单"点击"查看物流"即可看到快递单号和轨迹。',
  },
  {
    id: 'refund-time',
    question: '退款多久到账？',
    answer: '退款原路退回：微信、支付宝即时到账，银行卡1-5个工作日。',
  },
  {
    id: 'return-fee',
    question: '退货运费谁承担？',
    answer: '质量问题由我们承担运费；七天无理由退货由买家承担，有运费险可理赔。',
  },
  {
    id: 'exchange-fee',
    question: '换货运费怎么算？',
    answer: '个人原因换货寄回运费由您承担，我们免费寄出新商品。',
  },
  {
    id: 'invoice',
    question: '可以开发票吗？',
    answer: '支持开具电子发票，确认收货后在订单详情申请开票。',
  },
  {
    id: 'size',
    question: '怎么选尺码？',
    answer: '请参考详情页的尺码表，也可以把身高体重发给客服帮您推荐。',
    variants: ['尺码推荐'],
  },
  {
    id: 'warranty',
    question: '保修期是多久？',
    answer: '电子产品整机保修1年，电池和充电器保修6个月。',
  },
  {
    id: 'coupon',
    question: '优惠券为什么用不了？',
    answer: '请检查优惠券是否过期、是否满足门槛；特价商品不能用券。',
  },
  {
    id: 'hours',
    question: '门店营业时间是几点到几点？',
    answer: '门店每天10:00-22:00营业，节假日照常。',
  },
  {
    id: 'points',
    question: '积分有什么用？',
    answer: '积分可以抵现，100积分抵1元，也可以兑换礼品。',
  },
]
  .map((r) => JSON.stringify(r))
  .join('\n')

/** A policy document with sections and long paragraphs. */
export const POLICY_MD = `# 售后服务政策

## 退货

签收之日起7天内，商品吊牌完好、不影响二次销售即可申请七天无理由退货。定制商品、贴身衣物、已拆封的食品不支持无理由退货。退货请使用页面显示的退货地址，不接受到付和平邮。

## 家具安装

大件家具提供免费上门安装服务，送货后48小时内安装师傅会联系您预约上门时间。拆旧、打孔、无电梯搬楼等额外服务按师傅现场报价收费。小件家具附安装说明和工具，可以自行安装。

## 会员

注册即成为普通会员，累计消费满1000元升级银卡，满3000元升级金卡。会员生日当月可领取生日礼券。
`

/** Migrates `db` for the cloud and returns it. */
export async function migrated<T extends Db>(db: T): Promise<T> {
  await migrate(db, 'cloud')
  return db
}
