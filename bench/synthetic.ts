/**
 * Synthetic OLD/NEW checkpoints for the benchmark, streamed to a Store (never whole in memory):
 * an embedding with a shuffled, grown vocabulary plus dense variables copied verbatim.
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

/** Sizes of a synthetic job. */
export interface SyntheticOptions {
  /** Rows of the OLD embedding (= old vocabulary size). */
  vocab: number;
  /** Embedding width. */
  dim: number;
  /** Dense variables copied verbatim, and the MiB of each. */
  dense: number;
  denseMiB: number;
}

/** Deterministic float32 bytes of `count` elements starting at element `start` of a tensor `seed`. */
function floats(seed: number, start: number, count: number): Uint8Array {
  const f = new Float32Array(count);
  for (let i = 0; i < count; i++) f[i] = seed + ((start + i) % 100003) / 100003;
  return new Uint8Array(f.buffer);
}

interface TensorSpec {
  key: string;
  shape: number[];
  seed: number;
}

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
  await store.put(indexLocation(prefix), encodeBundleIndex(defaultHeader(1), entries));
}

/**
 * Writes `<dir>/old/model-0`, `<dir>/new/model-0`, two vocabularies and `<dir>/spec.json`
 * (locations relative to `dir`). Returns the spec object.
 */
export async function writeSynthetic(store: Store, dir: string, o: SyntheticOptions) {
  const denseRows = Math.max(1, Math.floor((o.denseMiB * 1024 * 1024) / (4 * 256)));
  const dense = Array.from({ length: o.dense }, (_, i) => ({
    key: `dense_${i}/kernel`,
    shape: [denseRows, 256],
  }));
  // New vocabulary: 95% of the old tokens, block-shuffled, plus 10% new tokens; 2 OOV buckets.
  const oldTokens = Array.from({ length: o.vocab }, (_, i) => `tok_${i}`);
  const kept = oldTokens.filter((_, i) => i % 20 !== 7);
  const blocks: string[][] = [];
  for (let i = 0; i < kept.length; i += 1000) blocks.push(kept.slice(i, i + 1000));
  for (let i = blocks.length - 1; i > 0; i--) {
    const j = (i * 7919) % (i + 1);
    [blocks[i], blocks[j]] = [blocks[j], blocks[i]];
  }
  const newTokens = blocks.flat();
  for (let i = 0; i < Math.floor(o.vocab / 10); i++) {
    newTokens.splice((i * 37) % newTokens.length, 0, `new_${i}`);
  }
  const oov = 2;
  const join = (rel: string) => joinLocation(dir, rel);
  await store.put(join("old_vocab.txt"), new TextEncoder().encode(oldTokens.join("\n") + "\n"));
  await store.put(join("new_vocab.txt"), new TextEncoder().encode(newTokens.join("\n") + "\n"));
  await writeCheckpoint(store, join("old/model-0"), [
    ...dense.map((d, i) => ({ ...d, seed: 10 + i })),
    { key: "embedding/weights", shape: [o.vocab, o.dim], seed: 1 },
  ]);
  await writeCheckpoint(store, join("new/model-0"), [
    ...dense.map((d, i) => ({ ...d, seed: 100 + i })),
    { key: "embedding/weights", shape: [newTokens.length + oov, o.dim], seed: 2 },
  ]);
  const spec = {
    ckpt_to_initialize_from: "old/model-0",
    new_checkpoint: "new/model-0",
    output: "out/model-0",
    vars_to_warm_start: ".*",
    var_name_to_vocab_info: {
      "embedding/weights": {
        new_vocab: "new_vocab.txt",
        new_vocab_size: newTokens.length,
        num_oov_buckets: oov,
        old_vocab: "old_vocab.txt",
      },
    },
  };
  await store.put(join("spec.json"), new TextEncoder().encode(JSON.stringify(spec, null, 2)));
  const bytes = (o.vocab + newTokens.length + oov) * o.dim * 4 + 2 * o.dense * denseRows * 1024;
  return { spec, inputBytes: bytes, newVocab: newTokens.length };
}
