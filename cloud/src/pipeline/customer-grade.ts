/**
 * Customer grading (A best … D worst) from spend, orders, activity, tags and ERP data. Pure; the
 * pipeline grades on each conversation and the grade feeds hand-off (VIP) and the LLM prompt.
 *
 * Precedence, strongest first:
 * 1. A blacklist tag ("黑名单") makes the customer D, whatever else is true.
 * 2. Explicit grades — a VIP tag (A) or a mapped ERP membership level — are a person's or the
 *    business system's decision: they are never demoted, only outranked by a better computed grade.
 * 3. The computed grade: the better of spend (kefu's or the ERP's total, whichever is larger) and
 *    order count; C for a customer who has not bought yet. Dormancy (no message and no order for
 *    `dormantAfterDays`) demotes it one step, so a long-gone non-buyer ends up D.
 */
import { foldRuleText } from '@kefu/match'
import { Grade } from '@kefu/schema'

/** What grading looks at; assembled from the `customers` row and the ERP. */
export interface CustomerProfile {
  /** Lifetime spend recorded by kefu, in yuan. */
  readonly spend: number
  readonly orders?: number
  readonly messageCount: number
  readonly lastSeenAt: Date
  readonly firstSeenAt: Date
  readonly tags: readonly string[]
  readonly erp?: {
    readonly level?: string
    readonly totalSpend?: number
    readonly lastOrderAt?: Date
  }
}

/** Grading thresholds. */
export interface GradeRules {
  /** Any of these tags makes the customer D. Matched ignoring case and width. */
  readonly blacklistTags: readonly string[]
  /** Any of these tags makes the customer at least A. */
  readonly vipTags: readonly string[]
  /** ERP membership level → grade, matched ignoring case and width. Only ever raises a grade. */
  readonly erpLevels: Readonly<Record<string, Grade>>
  /** Lifetime spend (yuan) at or above which a customer is A / B. */
  readonly spend: { readonly A: number; readonly B: number }
  /** Order count at or above which a customer is A / B. */
  readonly orders: { readonly A: number; readonly B: number }
  /** Days without a message or an order after which the computed grade drops one step. */
  readonly dormantAfterDays: number
}

/** Defaults for a small retail shop; every business will tune these. */
export const defaultGradeRules: GradeRules = {
  blacklistTags: ['黑名单', 'blacklist'],
  vipTags: ['VIP', '大客户', '重要客户'],
  erpLevels: { 钻石: 'A', 黑金: 'A', 金卡: 'A', 银卡: 'B', 普通: 'C' },
  spend: { A: 5_000, B: 1_000 },
  orders: { A: 20, B: 5 },
  dormantAfterDays: 180,
}

/** A grade and the reasons for it, in the order they were weighed. */
export interface GradeResult {
  readonly grade: Grade
  readonly reasons: readonly string[]
}

const DAY_MS = 86_400_000

function better(a: Grade, b: Grade): Grade {
  return Grade.indexOf(a) <= Grade.indexOf(b) ? a : b
}

function demote(g: Grade): Grade {
  return Grade[Math.min(Grade.indexOf(g) + 1, Grade.length - 1)]
}

// Spend arrives from numeric strings and third-party ERPs; garbage must not crash grading.
function amount(v: number | undefined): number {
  return v !== undefined && Number.isFinite(v) && v > 0 ? v : 0
}

function findTag(tags: readonly string[], wanted: readonly string[]): string | undefined {
  const w = new Set(wanted.map(foldRuleText))
  return tags.find((t) => w.has(foldRuleText(t)))
}

function tiered(value: number, t: { readonly A: number; readonly B: number }): Grade {
  return value >= t.A ? 'A' : value >= t.B ? 'B' : 'C'
}

/** Grades one customer at `now`. */
export function gradeCustomer(profile: CustomerProfile, rules: GradeRules, now: Date): GradeResult {
  const black = findTag(profile.tags, rules.blacklistTags)
  if (black !== undefined) return { grade: 'D', reasons: [`blacklist tag "${black}"`] }

  const reasons: string[] = []
  let explicit: Grade | null = null
  const vip = findTag(profile.tags, rules.vipTags)
  if (vip !== undefined) {
    explicit = 'A'
    reasons.push(`VIP tag "${vip}" → A`)
  }
  const level = profile.erp?.level
  if (level !== undefined) {
    const folded = foldRuleText(level)
    const hit = Object.entries(rules.erpLevels).find(([k]) => foldRuleText(k) === folded)
    if (hit !== undefined) {
      explicit = explicit === null ? hit[1] : better(explicit, hit[1])
      reasons.push(`ERP level "${level}" → ${hit[1]}`)
    }
  }

  const spend = Math.max(amount(profile.spend), amount(profile.erp?.totalSpend))
  const orders = Math.floor(amount(profile.orders))
  let computed = better(tiered(spend, rules.spend), tiered(orders, rules.orders))
  if (spend >= rules.spend.B) reasons.push(`spend ${spend} → ${tiered(spend, rules.spend)}`)
  if (orders >= rules.orders.B) reasons.push(`${orders} orders → ${tiered(orders, rules.orders)}`)
  if (computed === 'C') reasons.push('spend and orders below B → C')

  // Whichever is later: the last chat or the last order the ERP knows of (bought in the shop).
  const lastOrder = profile.erp?.lastOrderAt?.getTime() ?? -Infinity
  const lastActive = Math.max(profile.lastSeenAt.getTime(), lastOrder)
  const idleDays = Math.max(0, Math.floor((now.getTime() - lastActive) / DAY_MS))
  if (idleDays >= rules.dormantAfterDays) {
    const to = demote(computed)
    reasons.push(`inactive ${idleDays} days: ${computed} → ${to}`)
    computed = to
  }

  const grade = explicit === null ? computed : better(explicit, computed)
  return { grade, reasons }
}
