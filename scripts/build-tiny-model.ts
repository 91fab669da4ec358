/**
 * Builds `models/tiny-zh/`: a tiny BERT-shaped Chinese embedding model that transformers.js
 * loads from a local folder, proving the `transformers` embedder runs a real ONNX model with
 * no network. It is a test model, not a good one:
 *
 *   input_ids ─ Gather(char embeddings 64-d) ─ MatMul(64×384) ─┐
 *   attention_mask ─ Cast(float) ─ Unsqueeze(-1) ──────────────── Mul ─▶ last_hidden_state
 *
 * (transformers.js then mean-pools over the mask and normalises.) The vocabulary is the 3,755
 * level-1 GB2312 characters, every character of the FAQ corpus, ASCII letters and digits as
 * WordPiece pieces, and BERT's special tokens. Character vectors come from random indexing
 * over the FAQ corpus (each character = its own seeded random vector + a share of its
 * neighbours'), so characters used together point the same way. Everything is seeded:
 * running the script twice writes identical files. The ONNX protobuf is encoded here with
 * protobufjs and a subset of onnx.proto — no Python.
 *
 * Usage: npx tsx scripts/build-tiny-model.ts [faq.jsonl] [out-dir]
 */
import protobuf from 'protobufjs'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

const FAQ = process.argv[2] ?? 'bench/data/faq-zh.jsonl'
const OUT = process.argv[3] ?? 'models/tiny-zh'
const D = 64 // character vector width
const H = 384 // hidden size = the embedder's dims
const WINDOW = 2
const NEIGHBOUR_SHARE = 0.35

const ONNX_SUBSET = `
syntax = "proto2";
package onnx;
message OperatorSetIdProto { optional string domain = 1; optional int64 version = 2; }
message TensorProto {
  repeated int64 dims = 1; optional int32 data_type = 2; optional string name = 8;
  optional bytes raw_data = 9;
}
message TensorShapeProto {
  message Dimension { oneof value { int64 dim_value = 1; string dim_param = 2; } }
  repeated Dimension dim = 1;
}
message TypeProto {
  message Tensor { optional int32 elem_type = 1; optional TensorShapeProto shape = 2; }
  oneof value { Tensor tensor_type = 1; }
}
message ValueInfoProto { optional string name = 1; optional TypeProto type = 2; }
message AttributeProto {
  optional string name = 1; optional int64 i = 3; optional int32 type = 20;
}
message NodeProto {
  repeated string input = 1; repeated string output = 2; optional string name = 3;
  optional string op_type = 4; repeated AttributeProto attribute = 5;
}
message GraphProto {
  repeated NodeProto node = 1; optional string name = 2; repeated TensorProto initializer = 5;
  repeated ValueInfoProto input = 11; repeated ValueInfoProto output = 12;
}
message ModelProto {
  optional int64 ir_version = 1; optional string producer_name = 2;
  optional string producer_version = 3; optional GraphProto graph = 7;
  repeated OperatorSetIdProto opset_import = 8;
}`

const FLOAT = 1
const INT64 = 7
const ATTR_INT = 2

/** mulberry32: the same seeded generator the embedder uses. */
function seeded(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function gb2312Level1(): string[] {
  const dec = new TextDecoder('gbk')
  const out: string[] = []
  for (let hi = 0xb0; hi <= 0xd7; hi++)
    for (let lo = 0xa1; lo <= 0xfe; lo++) {
      if (hi === 0xd7 && lo > 0xf9) break
      out.push(dec.decode(new Uint8Array([hi, lo])))
    }
  return out
}

const texts = readFileSync(FAQ, 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '')
  .flatMap((l) => {
    const f = JSON.parse(l) as { question: string; answer: string; variants?: string[] }
    return [f.question, ...(f.variants ?? []), f.answer]
  })

// Vocabulary: specials, ASCII pieces, then Han characters in a stable order.
const SPECIALS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]']
const ascii = [...'abcdefghijklmnopqrstuvwxyz0123456789']
const han = new Set(gb2312Level1())
for (const t of texts) for (const ch of t) if (/\p{Script=Han}/u.test(ch)) han.add(ch)
const vocab = [...SPECIALS, ...ascii, ...ascii.map((c) => `##${c}`), ...[...han].sort()]
const index = new Map(vocab.map((t, i) => [t, i]))

// Random indexing: a seeded random vector per token, plus neighbours' vectors.
const base = vocab.map((_, i) => {
  const r = seeded(1000 + i)
  return Array.from({ length: D }, () => (r() - 0.5) * 2)
})
const ctx = vocab.map(() => new Array<number>(D).fill(0))
for (const t of texts) {
  const ids = [...t].map((ch) => index.get(ch.toLowerCase())).filter((i) => i !== undefined)
  ids.forEach((id, p) => {
    for (let q = Math.max(0, p - WINDOW); q <= Math.min(ids.length - 1, p + WINDOW); q++)
      if (q !== p) for (let k = 0; k < D; k++) ctx[id]![k]! += base[ids[q]!]![k]!
  })
}
const emb = new Float32Array(vocab.length * D)
vocab.forEach((tok, i) => {
  if (SPECIALS.includes(tok) && tok !== '[UNK]') return // padding and markers add nothing
  const c = ctx[i]!
  const cn = Math.hypot(...c) || 1
  const v = base[i]!.map((x, k) => x / Math.sqrt(D) + (NEIGHBOUR_SHARE * c[k]!) / cn)
  const n = Math.hypot(...v) || 1
  for (let k = 0; k < D; k++) emb[i * D + k] = v[k]! / n
})
const rp = seeded(7)
const proj = Float32Array.from({ length: D * H }, () => (rp() - 0.5) * 2 * Math.sqrt(3 / D))

const root = protobuf.parse(ONNX_SUBSET).root
const Model = root.lookupType('onnx.ModelProto')
const raw = (a: Float32Array | BigInt64Array) =>
  new Uint8Array(a.buffer, a.byteOffset, a.byteLength)
const dim = (d: number | string) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })
const value = (name: string, elemType: number, dims: (number | string)[]) => ({
  name,
  type: { tensorType: { elemType, shape: { dim: dims.map(dim) } } },
})
const model = {
  irVersion: 8,
  producerName: 'kefu build-tiny-model',
  producerVersion: '1',
  opsetImport: [{ domain: '', version: 13 }],
  graph: {
    name: 'tiny-zh',
    initializer: [
      { name: 'embeddings.weight', dims: [vocab.length, D], dataType: FLOAT, rawData: raw(emb) },
      { name: 'projection.weight', dims: [D, H], dataType: FLOAT, rawData: raw(proj) },
      { name: 'unsqueeze.axes', dims: [1], dataType: INT64, rawData: raw(BigInt64Array.of(-1n)) },
    ],
    node: [
      {
        name: 'gather',
        opType: 'Gather',
        input: ['embeddings.weight', 'input_ids'],
        output: ['tok'],
      },
      { name: 'project', opType: 'MatMul', input: ['tok', 'projection.weight'], output: ['hid'] },
      {
        name: 'mask_float',
        opType: 'Cast',
        input: ['attention_mask'],
        output: ['maskf'],
        attribute: [{ name: 'to', i: FLOAT, type: ATTR_INT }],
      },
      {
        name: 'mask_3d',
        opType: 'Unsqueeze',
        input: ['maskf', 'unsqueeze.axes'],
        output: ['mask3'],
      },
      { name: 'apply_mask', opType: 'Mul', input: ['hid', 'mask3'], output: ['last_hidden_state'] },
    ],
    input: [
      value('input_ids', INT64, ['batch_size', 'sequence_length']),
      value('attention_mask', INT64, ['batch_size', 'sequence_length']),
    ],
    output: [value('last_hidden_state', FLOAT, ['batch_size', 'sequence_length', H])],
  },
}
const err = Model.verify(model)
if (err) throw new Error(`invalid ONNX model: ${err}`)
const bytes = Model.encode(Model.fromObject(model)).finish()

const special = (content: string) => ({
  id: index.get(content),
  content,
  single_word: false,
  lstrip: false,
  rstrip: false,
  normalized: false,
  special: true,
})
const tokenizer = {
  version: '1.0',
  truncation: null,
  padding: null,
  added_tokens: SPECIALS.map(special),
  normalizer: {
    type: 'BertNormalizer',
    clean_text: true,
    handle_chinese_chars: true,
    strip_accents: null,
    lowercase: true,
  },
  pre_tokenizer: { type: 'BertPreTokenizer' },
  post_processor: {
    type: 'TemplateProcessing',
    single: [
      { SpecialToken: { id: '[CLS]', type_id: 0 } },
      { Sequence: { id: 'A', type_id: 0 } },
      { SpecialToken: { id: '[SEP]', type_id: 0 } },
    ],
    pair: [
      { SpecialToken: { id: '[CLS]', type_id: 0 } },
      { Sequence: { id: 'A', type_id: 0 } },
      { SpecialToken: { id: '[SEP]', type_id: 0 } },
      { Sequence: { id: 'B', type_id: 1 } },
      { SpecialToken: { id: '[SEP]', type_id: 1 } },
    ],
    special_tokens: Object.fromEntries(
      ['[CLS]', '[SEP]'].map((t) => [t, { id: t, ids: [index.get(t)], tokens: [t] }]),
    ),
  },
  decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
  model: {
    type: 'WordPiece',
    unk_token: '[UNK]',
    continuing_subword_prefix: '##',
    max_input_chars_per_word: 100,
    vocab: Object.fromEntries(index),
  },
}
const tokenizerConfig = {
  tokenizer_class: 'BertTokenizer',
  do_lower_case: true,
  tokenize_chinese_chars: true,
  model_max_length: 512,
  pad_token: '[PAD]',
  unk_token: '[UNK]',
  cls_token: '[CLS]',
  sep_token: '[SEP]',
  mask_token: '[MASK]',
}
const config = {
  architectures: ['BertModel'],
  model_type: 'bert',
  vocab_size: vocab.length,
  hidden_size: H,
  num_hidden_layers: 1,
  num_attention_heads: 1,
  intermediate_size: D,
  max_position_embeddings: 512,
  type_vocab_size: 1,
  pad_token_id: 0,
  kefu_note: 'Test model from scripts/build-tiny-model.ts: char random indexing, not trained.',
}

mkdirSync(join(OUT, 'onnx'), { recursive: true })
writeFileSync(join(OUT, 'onnx', 'model.onnx'), bytes)
writeFileSync(join(OUT, 'tokenizer.json'), JSON.stringify(tokenizer))
writeFileSync(join(OUT, 'tokenizer_config.json'), JSON.stringify(tokenizerConfig, null, 2) + '\n')
writeFileSync(join(OUT, 'config.json'), JSON.stringify(config, null, 2) + '\n')
console.log(`wrote ${OUT}: vocab ${vocab.length}, model ${(bytes.length / 1024).toFixed(0)} KiB`)
