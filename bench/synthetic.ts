/**
 * Synthetic OLD/NEW checkpoints for the benchmark, streamed to a Store (tensor bytes are never
 * whole in memory): an embedding with a grown, reordered vocabulary beside dense variables
 * copied verbatim.
 *
 * - `shuffled`: NEW vocabulary = 90% of the OLD tokens plus 10% new ones, in random order;
 * - `local`: the same tokens, shuffled only within blocks of 4,096 (a vocabulary re-sorted by a
 *   slowly drifting frequency count): locally ordered;
 * - `plain`: NEW has OLD's shapes and no vocabulary: every tensor is copied verbatim.
 *
 * @module
 */
import { crc32c, maskCrc } from "../lib/bytes/crc32c.ts";
import { defaultHeader, encodeBundleIndex } from "../lib/checkpoint/bundle_index.ts";
import { DT_FLOAT } from "../lib/checkpoint/dtype.ts";
import { dataLocation, indexLocation } from "../lib/checkpoint/naming.ts";
import type { BundleEntry } from "../lib/checkpoint/types.ts";
import { joinLocation } from "../lib/storage/location.ts";
import type { Store } from "../lib/storage/store.ts";

/** How the NEW vocabulary relates to the OLD one (see module docs). */
export type VocabOrder = "shuffled" | "local" | "plain";

/** Sizes and kind of a synthetic job. */
export interface SyntheticOptions {
  /** Rows of the OLD embedding (= old vocabulary size). */
  vocab: number;
  /** Embedding width. */
  dim: number;
  /** Dense variables copied verbatim, and the MiB of each. */
  dense: number;
  denseMiB: number;
  /**
   * The jobs to write: one spec per order (`spec_<order>.json`, `new_vocab_<order>.txt`); the
   * checkpoints are shared. `plain` (NEW with OLD's shapes) cannot be combined with the others.
   */
  orders: VocabOrder[];
  /** Seed of the shuffle (default 1). */
  seed?: number;
}

/** What was written. */
export interface SyntheticJob {
  /** The spec file of each order, relative to the job's directory. */
  specs: Partial<Record<VocabOrder, string>>;
  /** Rows of the NEW embedding. */
  newRows: number;
  /** Bytes of the OLD and NEW data shards. */
  oldBytes: number;
  newBytes: number;
  /** Bytes of the embedding tensors (OLD, NEW). */
  oldEmbeddingBytes: number;
  newEmbeddingBytes: number;
  /** Offset of the OLD embedding in its data shard. */
  oldEmbeddingOffset: number;
}

const OOV = 2;
const BLOCK = 4096;

/** A small deterministic PRNG (mulberry32). */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The NEW vocabulary as OLD line numbers (>= 0) and new tokens (-1 - k), in NEW order. */
function newOrder(o: SyntheticOptions, kind: "shuffled" | "local"): Int32Array {
  const fresh = Math.floor(o.vocab / 10);
  const order = new Int32Array(o.vocab); // 90% old + 10% new tokens
  let n = 0;
  for (let i = 0; i < o.vocab; i++) if (i % 10 !== 7) order[n++] = i; // 90% of the old tokens
  for (let k = 0; n < order.length; k++) order[n++] = -1 - k; // 10% new ones
  const rand = random(o.seed ?? 1);
  const shuffle = (a: number, b: number) => {
    for (let i = b - 1; i > a; i--) {
      const j = a + Math.floor(rand() * (i - a + 1));
      const t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
  };
  if (kind === "shuffled") shuffle(0, order.length);
  else {
    // New tokens spread evenly among the old ones, then each block shuffled in itself.
    const old = order.slice(0, o.vocab - fresh);
    const per = old.length / Math.max(1, fresh);
    for (let i = 0, a = 0, k = 0; i < order.length;) {
      order[i++] = k < fresh && (a >= old.length || a >= (k + 1) * per) ? -1 - k++ : old[a++];
    }
    for (let b = 0; b < order.length; b += BLOCK) shuffle(b, Math.min(order.length, b + BLOCK));
  }
  return order;
}

/** Writes a vocabulary file line by line in chunks. */
async function writeVocab(
  store: Store,
  location: string,
  count: number,
  token: (i: number) => string,
) {
  const encoder = new TextEncoder();
  async function* chunks() {
    const lines: string[] = [];
    for (let i = 0; i < count; i++) {
      lines.push(token(i));
      if (lines.length === 65536) {
        yield encoder.encode(lines.join("\n") + "\n");
        lines.length = 0;
      }
    }
    if (lines.length > 0) yield encoder.encode(lines.join("\n") + "\n");
  }
  await store.write(location, chunks());
}

/** Deterministic float32 bytes of `count` elements starting at element `start` of tensor `seed`. */
function floats(seed: number, start: number, count: number): Uint8Array {
  // Element i is seed + (i mod P) / P: copied from one period of the pattern.
  const period = PATTERNS.get(seed) ?? PATTERNS.set(seed, pattern(seed)).get(seed)!;
  const out = new Float32Array(count);
  for (let at = 0; at < count;) {
    const from = (start + at) % PERIOD;
    const n = Math.min(count - at, PERIOD - from);
    out.set(period.subarray(from, from + n), at);
    at += n;
  }
  return new Uint8Array(out.buffer);
}

const PERIOD = 100003;
const PATTERNS = new Map<number, Float32Array>();
function pattern(seed: number): Float32Array {
  const f = new Float32Array(PERIOD);
  for (let i = 0; i < PERIOD; i++) f[i] = seed + i / PERIOD;
  return f;
}

interface TensorSpec {
  key: string;
  shape: number[];
  seed: number;
}

/** Streams one checkpoint (one data shard) and returns the entries. */
async function writeCheckpoint(store: Store, prefix: string, tensors: TensorSpec[]) {
  const entries: BundleEntry[] = [];
  const CHUNK = 1024 * 1024; // elements per generated chunk
  let offset = 0;
  async function* pieces() {
    for (const t of tensors) {
      const n = t.shape.reduce((a, b) => a * b, 1);
      let crc = 0;
      for (let s = 0; s < n; s += CHUNK) {
        const bytes = floats(t.seed, s, Math.min(CHUNK, n - s));
        crc = crc32c(bytes, crc);
        yield bytes;
      }
      entries.push({
        key: new TextEncoder().encode(t.key),
        dtype: DT_FLOAT,
        shape: t.shape,
        shardId: 0,
        offset,
        size: n * 4,
        crc32c: maskCrc(crc),
        slices: [],
      });
      offset += n * 4;
    }
  }
  await store.write(dataLocation(prefix, 0, 1), pieces());
  // The index lists keys in sorted order (the bundle format requires it).
  const sorted = [...entries].sort((a, b) => compareBytes(a.key, b.key));
  await store.put(indexLocation(prefix), encodeBundleIndex(defaultHeader(1), sorted));
  return { entries, bytes: offset };
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

/**
 * Writes `<dir>/old/model-0`, `<dir>/new/model-0`, the vocabularies and a spec per order
 * (`<dir>/spec_<order>.json`, locations relative to `dir`).
 */
export async function writeSynthetic(
  store: Store,
  dir: string,
  o: SyntheticOptions,
): Promise<SyntheticJob> {
  const denseRows = Math.max(1, Math.floor((o.denseMiB * 1024 * 1024) / (4 * 256)));
  const dense = Array.from({ length: o.dense }, (_, i) => ({
    key: `dense_${i}/kernel`,
    shape: [denseRows, 256],
  }));
  const join = (rel: string) => joinLocation(dir, rel);
  const plain = o.orders.includes("plain");
  if (plain && o.orders.length > 1) throw new Error("a plain job has its own checkpoints");
  const newRows = plain ? o.vocab : o.vocab + OOV; // 90% old + 10% new tokens, 2 OOV buckets
  const specs: SyntheticJob["specs"] = {};
  if (!plain) await writeVocab(store, join("old_vocab.txt"), o.vocab, (i) => `tok_${i}`);
  for (const kind of o.orders) {
    const spec: Record<string, unknown> = {
      ckpt_to_initialize_from: "old/model-0",
      new_checkpoint: "new/model-0",
      output: `out_${kind}/model-0`,
      vars_to_warm_start: ".*",
    };
    if (kind !== "plain") {
      const order = newOrder(o, kind);
      await writeVocab(
        store,
        join(`new_vocab_${kind}.txt`),
        order.length,
        (i) => order[i] >= 0 ? `tok_${order[i]}` : `new_${-1 - order[i]}`,
      );
      spec.var_name_to_vocab_info = {
        "embedding/weights": {
          new_vocab: `new_vocab_${kind}.txt`,
          new_vocab_size: order.length,
          num_oov_buckets: OOV,
          old_vocab: "old_vocab.txt",
        },
      };
    }
    specs[kind] = `spec_${kind}.json`;
    await store.put(join(specs[kind]!), new TextEncoder().encode(JSON.stringify(spec, null, 2)));
  }
  // The embedding first: its bytes are what a remap moves.
  const old = await writeCheckpoint(store, join("old/model-0"), [
    { key: "embedding/weights", shape: [o.vocab, o.dim], seed: 1 },
    ...dense.map((d, i) => ({ ...d, seed: 10 + i })),
  ]);
  const next = await writeCheckpoint(store, join("new/model-0"), [
    { key: "embedding/weights", shape: [newRows, o.dim], seed: 2 },
    ...dense.map((d, i) => ({ ...d, seed: 100 + i })),
  ]);
  return {
    specs,
    newRows,
    oldBytes: old.bytes,
    newBytes: next.bytes,
    oldEmbeddingBytes: o.vocab * o.dim * 4,
    newEmbeddingBytes: newRows * o.dim * 4,
    oldEmbeddingOffset: 0,
  };
}
