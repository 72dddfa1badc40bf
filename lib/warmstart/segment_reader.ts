/**
 * Turns plan segments into byte chunks (as tasks for ordered prefetching). Rows and cells move as
 * bytes; nothing is decoded. OLD tensors are read through the checkpoint's one slice path
 * (readBox, readRows), everything through the job's store (pinned, retried, coalesced). Each
 * chunk is about `chunkBytes`, so memory stays bounded by chunk size × read-ahead, plus the
 * remap passes' budget (remap_passes.ts) for the `memory` and `buckets` strategies.
 *
 * @module
 */
import {
  type BundleIndex,
  dataLocation,
  readBox,
  readRows,
  rowBox,
  type SliceReadOptions,
} from "../checkpoint/mod.ts";
import type { JobStore } from "../storage/mod.ts";
import { orderedPrefetch, type Task } from "./ordered_prefetch.ts";
import type { Segment, Side } from "./plan.ts";
import type { RemapRunner } from "./remap_passes.ts";
import { BAND_CHUNKS, type ChunkBuffers } from "./chunk_buffers.ts";
import { rowCopier } from "./remap_layout.ts";
import { backupRows, fillBackup, repeat } from "./row_backup.ts";
import type { Tuning } from "./tuning.ts";
import { sourceId } from "./verify_sources.ts";

/** Where segment bytes come from. */
export interface SegmentSources {
  /** The job's store. */
  store: JobStore;
  /** OLD's index. */
  oldIndex: BundleIndex;
  /** NEW's index. */
  newIndex: BundleIndex;
  /** The streaming budget. */
  tuning: Tuning;
  /** Source entries found intact on the way (verify_sources.ts ids); OLD reads add to it. */
  verified: Set<string>;
  /** The job's remap passes (rows segments read by strategy `memory` or `buckets`). */
  remaps?: RemapRunner;
  /** Recycled chunk and band buffers (default: fresh buffers per chunk). */
  buffers?: ChunkBuffers;
}

/** A buffer of `bytes` (at most `chunkBytes`) for the next output chunk of a remap. */
export function chunkBuffer(src: SegmentSources, bytes: number): Uint8Array {
  return src.buffers && bytes <= src.tuning.chunkBytes
    ? src.buffers.chunk().subarray(0, bytes)
    : new Uint8Array(bytes);
}

type RowsSegment = Extract<Segment, { kind: "rows" }>;
type ColumnsSegment = Extract<Segment, { kind: "columns" }>;
type SliceSegment = Extract<Segment, { kind: "slice" }>;

/** Data-shard location of one side. */
export function shardLocation(src: SegmentSources, side: Side, shardId: number): string {
  const index = side === "old" ? src.oldIndex : src.newIndex;
  return dataLocation(index.prefix, shardId, index.header.numShards);
}

/** Bytes of one side's shard. */
function readShard(
  src: SegmentSources,
  side: Side,
  shardId: number,
  offset: number,
  length: number,
  recycled = false,
): Promise<Uint8Array> {
  if (length === 0) return Promise.resolve(new Uint8Array(0));
  const into = recycled && src.buffers && length <= src.tuning.chunkBytes
    ? { into: src.buffers.chunk() }
    : {};
  return src.store.readRange(shardLocation(src, side, shardId), { offset, length }, into);
}

/** Number of output rows per chunk for rows `rowBytes` wide. */
function rowsPerChunk(src: SegmentSources, rowBytes: number): number {
  return Math.max(1, Math.floor(src.tuning.chunkBytes / Math.max(1, rowBytes)));
}

/**
 * Chunk-producing tasks for one segment, in output order.
 *
 * @param src where bytes come from
 * @param segment the segment
 * @returns tasks, each producing the next chunk
 */
export function segmentTasks(src: SegmentSources, segment: Segment): Generator<Task<Uint8Array>> {
  return unitTasks(src, segment, 0, segmentUnits(segment));
}

/** Bytes of one unit of a segment (a row, a cell row, an element): the finest cut of it. */
export function segmentUnitBytes(segment: Segment): number {
  switch (segment.kind) {
    case "range":
      return 1;
    case "fill":
      return segment.element.length;
    case "rows":
      return segment.rowBytes;
    case "columns":
      return segment.cols * segment.elementSize;
    case "slice":
      return segment.shape.slice(1).reduce((a, b) => a * b, 1) * segment.elementSize;
  }
}

function segmentUnits(segment: Segment): number {
  switch (segment.kind) {
    case "range":
      return segment.length;
    case "fill":
      return segment.count;
    case "rows":
      return segment.rowMap.length;
    case "columns":
      return segment.rows;
    case "slice":
      return segment.shape[0] ?? 0;
  }
}

/**
 * Bytes [lo, hi) of one segment, in output order and chunks: its units (rows, cells, elements)
 * covering the range are produced and the ends trimmed, so a task of a split job reads only what
 * its parts need.
 *
 * @param src where bytes come from
 * @param segment the segment
 * @param lo first byte (relative to the segment)
 * @param hi end byte
 * @param readAhead chunks produced ahead (ordered_prefetch.ts)
 * @returns the chunks
 */
export async function* segmentRange(
  src: SegmentSources,
  segment: Segment,
  lo: number,
  hi: number,
  readAhead: number,
): AsyncGenerator<Uint8Array> {
  const unit = segmentUnitBytes(segment);
  if (hi <= lo || unit === 0) return;
  const u0 = Math.floor(lo / unit);
  const u1 = Math.ceil(hi / unit);
  let skip = lo - u0 * unit;
  let left = hi - lo;
  for await (const chunk of orderedPrefetch(unitTasks(src, segment, u0, u1), readAhead)) {
    if (left === 0) break;
    const from = Math.min(skip, chunk.length);
    skip -= from;
    const to = Math.min(chunk.length, from + left);
    if (to > from) {
      left -= to - from;
      yield chunk.subarray(from, to);
    }
  }
  if (left !== 0) throw new Error(`internal: segment range [${lo}, ${hi}) short by ${left}`);
}

/** Chunk tasks for units [u0, u1) of a segment (bytes of a range, elements of a fill, rows). */
function* unitTasks(
  src: SegmentSources,
  segment: Segment,
  u0: number,
  u1: number,
): Generator<Task<Uint8Array>> {
  const chunk = src.tuning.chunkBytes;
  switch (segment.kind) {
    case "range": {
      for (let done = u0; done < u1; done += chunk) {
        const length = Math.min(chunk, u1 - done);
        // Read into a recycled chunk buffer (the executor and the store are done with a chunk
        // before it comes round again).
        yield () =>
          readShard(src, segment.from, segment.shardId, segment.offset + done, length, true);
      }
      return;
    }
    case "fill": {
      const e = segment.element.length;
      const perChunk = Math.max(1, Math.floor(chunk / e));
      let pattern: Uint8Array | undefined;
      for (let done = u0; done < u1; done += perChunk) {
        const count = Math.min(perChunk, u1 - done);
        yield () => {
          pattern ??= repeat(segment.element, Math.min(perChunk, u1 - u0));
          return Promise.resolve(pattern.slice(0, count * e));
        };
      }
      return;
    }
    case "rows": {
      if (segment.strategy !== "runs") {
        if (!src.remaps) throw new Error(`internal: a ${segment.strategy} remap without passes`);
        yield* src.remaps.tasks(segment, u0, u1);
        return;
      }
      const batch = rowsPerChunk(src, segment.rowBytes);
      for (let i0 = u0; i0 < u1; i0 += batch) {
        const i1 = Math.min(u1, i0 + batch);
        yield () => assembleRows(src, segment, i0, i1);
      }
      return;
    }
    case "columns": {
      const rowBytes = Math.max(segment.cols, segment.oldCols) * segment.elementSize;
      const batch = rowsPerChunk(src, rowBytes);
      for (let i0 = u0; i0 < u1; i0 += batch) {
        const i1 = Math.min(u1, i0 + batch);
        yield () => assembleColumns(src, segment, i0, i1);
      }
      return;
    }
    case "slice": {
      const old = src.oldIndex.get(segment.oldKey);
      const fullRow = (old?.shape ?? []).slice(1).reduce((a, b) => a * b, 1) *
        segment.elementSize;
      const batch = rowsPerChunk(src, fullRow);
      for (let i0 = u0; i0 < u1; i0 += batch) {
        const i1 = Math.min(u1, i0 + batch);
        yield () => readSliceRows(src, segment, i0, i1);
      }
      return;
    }
  }
}

/**
 * Rows [i0, i1) of a `runs` segment. Rows near each other (a locally ordered vocabulary: their
 * span at most (1 + maxRowWaste) × their count and {@link BAND_CHUNKS} chunks) are read as one
 * band of OLD through the slice path and gathered from it; scattered ones as coalesced runs.
 */
async function assembleRows(
  src: SegmentSources,
  seg: RowsSegment,
  i0: number,
  i1: number,
): Promise<Uint8Array> {
  const w = seg.rowBytes;
  let count = 0;
  let min = Infinity;
  let max = -1;
  for (let i = i0; i < i1; i++) {
    const j = seg.rowMap[i];
    if (j < 0) continue;
    count++;
    if (j < min) min = j;
    if (j > max) max = j;
  }
  const out = chunkBuffer(src, (i1 - i0) * w);
  if (count < i1 - i0) await fillBackup(src, seg.backup, seg.backupRowStart + i0, w, out);
  if (count === 0) return out;
  const span = max - min + 1;
  if (
    span <= (1 + src.tuning.maxRowWaste) * count && span * w <= BAND_CHUNKS * src.tuning.chunkBytes
  ) {
    const shape = src.oldIndex.get(seg.oldKey)?.shape ?? [];
    const band = await readBox(src.store, src.oldIndex, seg.oldKey, rowBox(shape, min, span), {
      ...onVerified(src),
      ...(src.buffers ? { into: src.buffers.band() } : {}),
    });
    const copy = rowCopier(w, band, out);
    for (let i = i0; i < i1; i++) {
      const j = seg.rowMap[i];
      if (j >= 0) copy(j - min, i - i0);
    }
    return out;
  }
  const wanted = new Int32Array(count);
  for (let i = i0, k = 0; i < i1; i++) if (seg.rowMap[i] >= 0) wanted[k++] = seg.rowMap[i];
  const old = await readRows(src.store, src.oldIndex, seg.oldKey, wanted, {
    maxWaste: src.tuning.maxRowWaste,
  });
  const copy = rowCopier(w, old, out);
  for (let i = i0, k = 0; i < i1; i++) if (seg.rowMap[i] >= 0) copy(k++, i - i0);
  return out;
}

async function assembleColumns(
  src: SegmentSources,
  seg: ColumnsSegment,
  i0: number,
  i1: number,
): Promise<Uint8Array> {
  const e = seg.elementSize;
  const outRow = seg.cols * e;
  const oldRow = seg.oldCols * e;
  const needsBackup = seg.colMap.length < seg.cols || seg.colMap.some((j) => j < 0);
  const shape = src.oldIndex.get(seg.oldKey)?.shape ?? [];
  const [old, backup] = await Promise.all([
    readBox(
      src.store,
      src.oldIndex,
      seg.oldKey,
      rowBox(shape, seg.oldRowStart + i0, i1 - i0),
      onVerified(src),
    ),
    needsBackup ? backupRows(src, seg.backup, i0, i1, outRow) : Promise.resolve(undefined),
  ]);
  const out = backup ? backup.slice() : new Uint8Array((i1 - i0) * outRow);
  // Runs of consecutive old columns move as one subarray copy per row.
  const runs: Array<[number, number, number]> = []; // [newCol, oldCol, count]
  for (let k = 0; k < seg.colMap.length; k++) {
    const j = seg.colMap[k];
    if (j < 0) continue;
    const last = runs[runs.length - 1];
    if (last && last[0] + last[2] === k && last[1] + last[2] === j) last[2]++;
    else runs.push([k, j, 1]);
  }
  for (let i = 0; i < i1 - i0; i++) {
    for (const [k, j, n] of runs) {
      out.set(old.subarray(i * oldRow + j * e, i * oldRow + (j + n) * e), i * outRow + k * e);
    }
  }
  return out;
}

/** Rows [i0, i1) of a block of OLD, through the slice path. */
function readSliceRows(
  src: SegmentSources,
  seg: SliceSegment,
  i0: number,
  i1: number,
): Promise<Uint8Array> {
  const start = [seg.offset[0] + i0, ...seg.offset.slice(1)];
  const length = [i1 - i0, ...seg.shape.slice(1)];
  return readBox(src.store, src.oldIndex, seg.oldKey, { start, length }, onVerified(src));
}

/** OLD entries read whole by the slice path were checked against their CRC32C on the way. */
function onVerified(src: SegmentSources): SliceReadOptions {
  return { onVerified: (entry) => src.verified.add(sourceId("old", entry)) };
}
