/**
 * Retrieval: knowledge-base import, chunking, embedders, hybrid search and the FAQ fast path.
 * The cloud's public index re-exports what the reply worker and the console need from here.
 */
export {
  EMBEDDING_DIMS,
  createLexicalEmbedder,
  fitDims,
  l2normalise,
  type Embedder,
  type LexicalEmbedderOptions,
} from './embedder.ts'
export {
  createTransformersEmbedder,
  ModelNotFoundError,
  type TransformersEmbedderOptions,
} from './embedder-transformers.ts'
export {
  createOpenAiCompatibleEmbedder,
  EmbeddingRequestError,
  type OpenAiEmbedderOptions,
} from './embedder-openai.ts'
export {
  chunkMarkdown,
  splitSentences,
  defaultChunkOptions,
  type Chunk,
  type ChunkOptions,
} from './chunk.ts'
export {
  parseFaqFile,
  type FaqInput,
  type FaqFileFormat,
  type FaqFileIssue,
  type FaqFileResult,
} from './faq-file.ts'
export {
  importFaq,
  importFaqFile,
  FaqImportError,
  type FaqImportResult,
  type ImportAction,
  type ImportOptions,
  type ImportProgress,
} from './kb-import.ts'
export {
  importDocuments,
  documentFromMarkdown,
  type DocumentInput,
  type DocumentImportResult,
} from './kb-import-docs.ts'
export {
  createFaqCache,
  type FaqCache,
  type FaqCacheOptions,
  type PublishedFaq,
} from './faq-cache.ts'
export { reciprocalRankFusion, RRF_K, type BlendWeights } from './fusion.ts'
export {
  createRetriever,
  defaultRetrieverOptions,
  type Retriever,
  type RetrieverOptions,
  type SearchHit,
  type SearchSource,
} from './search.ts'
