/**
 * Crafted hostile checkpoints (written with the format layer's own encoder, so each is a valid
 * tensor bundle index whose counts lie): a tiny index declaring millions of data shards, an
 * entry whose shape claims gigabytes in a 16-byte data file, an entry with more slices than the
 * reader accepts; and sparse files larger than their caps (no disk is spent on them).
 *
 * @module
 */
import {
  type BundleEntry,
  dataLocation,
  defaultHeader,
  DT_FLOAT,
  encodeBundleIndex,
  keyBytes,
} from "../../lib/checkpoint/mod.ts";

function entry(name: string, shape: number[], size: number, slices: BundleEntry["slices"] = []) {
  return {
    key: keyBytes(name),
    dtype: DT_FLOAT,
    shape,
    shardId: 0,
    offset: 0,
    size,
    crc32c: 0,
    slices,
  };
}

/** Writes `<prefix>.index` and (unless `shards` is 0) a 16-byte data shard 0 of `numShards`. */
async function bundle(prefix: string, numShards: number, entries: BundleEntry[]): Promise<void> {
  const index = encodeBundleIndex(defaultHeader(numShards), entries);
  await Deno.writeFile(`${prefix}.index`, index);
  await Deno.writeFile(dataLocation(prefix, 0, numShards), new Uint8Array(16));
}

/** An index of a few hundred bytes declaring 3,000,000 data shards. */
export async function manyShards(prefix: string): Promise<number> {
  await bundle(prefix, 3_000_000, [entry("emb", [2, 2], 16)]);
  return (await Deno.stat(`${prefix}.index`)).size;
}

/** An entry `emb` of shape [10^9, 1] float32 (4 GB claimed) in a 16-byte data file. */
export async function hugeShape(prefix: string): Promise<void> {
  await bundle(prefix, 1, [entry("emb", [1_000_000_000, 1], 4_000_000_000)]);
}

/** A partitioned `emb` with 20,001 one-row slices (and no slice entries at all). */
export async function manySlices(prefix: string): Promise<void> {
  const n = 20_001;
  const slices = Array.from(
    { length: n },
    (_, i) => [{ start: i, length: 1 }, { start: 0, length: -1 }],
  );
  await bundle(prefix, 1, [entry("emb", [n, 1], 0, slices)]);
}

/** A sparse file of `bytes` (a hole: the size is real, the disk use is not). */
export async function sparseFile(path: string, bytes: number): Promise<void> {
  const f = await Deno.open(path, { write: true, create: true, truncate: true });
  await f.truncate(bytes);
  f.close();
}
