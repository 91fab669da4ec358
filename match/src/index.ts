/**
 * @kefu/match — Chinese text matching shared by the cloud and the offline agent: normalisation,
 * tokens (words + character bigrams), the FAQ matcher with calibrated confidence, and
 * small-talk detection. Pure TypeScript: no database, no models, no I/O.
 */
export { normalise, isHan, type NormaliseOptions } from './normalise.ts'
export { toSimplified } from './trad-simp.ts'
export {
  tokenize,
  tokenSet,
  toLexemes,
  STOP_PHRASES,
  STOP_SEGMENTS,
  PARTICLES,
  type TokenizeOptions,
} from './tokenize.ts'
export { expandSynonyms, HAN_SYNONYMS, LATIN_ALIASES } from './synonyms.ts'
export {
  createTermStats,
  overlap,
  fScore,
  toBag,
  bagSize,
  bm25Normalised,
  BM25,
  UNIGRAM_FACTOR,
  FRAME_WORDS,
  FRAME_FACTOR,
  type Bag,
  type TermStats,
  type Overlap,
} from './term-stats.ts'
export {
  createFaqMatcher,
  defaultFaqMatcherOptions,
  maxFaqScore,
  SEND_AS_IS_CONFIDENCE,
  type FaqEntry,
  type FaqMatch,
  type FaqMatcher,
  type FaqMatcherOptions,
} from './faq-matcher.ts'
export {
  classifySmallTalk,
  isSmallTalk,
  isGreeting,
  SMALL_TALK_REPLY,
  SmallTalkKind,
} from './small-talk.ts'
export * from './rules/index.ts'
