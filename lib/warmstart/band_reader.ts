/**
 * Reads a band of consecutive rows of an OLD tensor as full row-major rows, with one range read
 * per stored slice — not one per row — whatever axis the tensor was partitioned along; the slices'
 * row pieces are interleaved in memory.
 *
 * @module
 */
import { dtypeElementSize } from "../checkpoint/dtype.ts";
import { CorruptCheckpointError, UnsupportedError } from "../errors.ts";
import { innerRuns } from "./inner_runs.ts";
import { readShard, type SegmentSources } from "./segment_sources.ts";

/** Bytes of rows [start, start + count) of OLD tensor `key` (dimension 0), row-major. */
export async function readBand(
  src: SegmentSources,
  key: string,
  start: number,
  count: number,
): Promise<Uint8Array> {
  const entry = src.oldIndex.get(key);
  const size = entry ? dtypeElementSize(entry.dtype) : undefined;
  if (!entry || size === undefined) {
    throw new UnsupportedError(`Cannot read rows of ${key}: not a fixed-width tensor`, { key });
  }
  const inner = entry.shape.slice(1);
  const rowBytes = inner.reduce((a, b) => a * b, 1) * size;
  if (entry.slices.length === 0) {
    return await readShard(
      src,
      "old",
      entry.shardId,
      entry.offset + start * rowBytes,
      count * rowBytes,
    );
  }
  const out = new Uint8Array(count * rowBytes);
  let covered = 0;
  await Promise.all(entry.slices.map(async (slice) => {
    const s0 = slice[0].start;
    const sRows = slice[0].length < 0 ? entry.shape[0] : slice[0].length;
    const from = Math.max(start, s0);
    const to = Math.min(start + count, s0 + sRows);
    if (from >= to) return;
    const stored = src.oldIndex.getSlice(key, slice);
    if (!stored) {
      throw new CorruptCheckpointError(`${key}: a listed slice has no entry`, { key });
    }
    const offset = slice.slice(1).map((e) => e.start);
    const shape = slice.slice(1).map((e, d) => (e.length < 0 ? inner[d] : e.length));
    const sliceRowBytes = shape.reduce((a, b) => a * b, 1) * size;
    const bytes = await readShard(
      src,
      "old",
      stored.shardId,
      stored.offset + (from - s0) * sliceRowBytes,
      (to - from) * sliceRowBytes,
    );
    const runs = innerRuns(inner, offset, shape, size);
    let pos = 0;
    for (let r = from; r < to; r++) {
      const rowAt = (r - start) * rowBytes;
      for (const [runStart, runLength] of runs) {
        out.set(bytes.subarray(pos, pos + runLength), rowAt + runStart);
        pos += runLength;
      }
    }
    covered += (to - from) * sliceRowBytes;
  }));
  if (covered !== out.length) {
    throw new CorruptCheckpointError(
      `${key}: its slices cover ${covered} of the ${out.length} bytes of rows ${start}..` +
        `${start + count - 1}`,
      { key, expected: out.length, actual: covered },
    );
  }
  return out;
}
