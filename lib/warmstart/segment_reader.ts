/**
 * Turns plan segments into byte chunks (as tasks for ordered prefetching). Rows and cells move as
 * bytes; nothing is decoded. OLD tensors are read through the checkpoint's one slice path
 * (readBox, readRows), everything through the job's store (pinned, retried, coalesced). Each
 * chunk is about `chunkBytes`, so memory stays bounded by chunk size × read-ahead (plus, for a
 * vocabulary remap, at most `rowCacheBytes` of OLD rows).
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
import type { Task } from "./ordered_prefetch.ts";
import type { Backup, Segment, Side } from "./plan.ts";
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
): Promise<Uint8Array> {
  if (length === 0) return Promise.resolve(new Uint8Array(0));
  return src.store.readRange(shardLocation(src, side, shardId), { offset, length });
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
export function* segmentTasks(src: SegmentSources, segment: Segment): Generator<Task<Uint8Array>> {
  const chunk = src.tuning.chunkBytes;
  switch (segment.kind) {
    case "range": {
      for (let done = 0; done < segment.length; done += chunk) {
        const length = Math.min(chunk, segment.length - done);
        yield () => readShard(src, segment.from, segment.shardId, segment.offset + done, length);
      }
      return;
    }
    case "fill": {
      const e = segment.element.length;
      const perChunk = Math.max(1, Math.floor(chunk / e));
      let pattern: Uint8Array | undefined;
      for (let done = 0; done < segment.count; done += perChunk) {
        const count = Math.min(perChunk, segment.count - done);
        yield () => {
          pattern ??= repeat(segment.element, Math.min(perChunk, segment.count));
          return Promise.resolve(pattern.slice(0, count * e));
        };
      }
      return;
    }
    case "rows": {
      const cached = rowCache(src, segment);
      const batch = rowsPerChunk(src, segment.rowBytes);
      for (let i0 = 0; i0 < segment.rowMap.length; i0 += batch) {
        const i1 = Math.min(segment.rowMap.length, i0 + batch);
        yield () => assembleRows(src, segment, i0, i1, cached);
      }
      return;
    }
    case "columns": {
      const rowBytes = Math.max(segment.cols, segment.oldCols) * segment.elementSize;
      const batch = rowsPerChunk(src, rowBytes);
      for (let i0 = 0; i0 < segment.rows; i0 += batch) {
        const i1 = Math.min(segment.rows, i0 + batch);
        yield () => assembleColumns(src, segment, i0, i1);
      }
      return;
    }
    case "slice": {
      const old = src.oldIndex.get(segment.oldKey);
      const fullRow = (old?.shape ?? []).slice(1).reduce((a, b) => a * b, 1) *
        segment.elementSize;
      const batch = rowsPerChunk(src, fullRow);
      for (let i0 = 0; i0 < segment.shape[0]; i0 += batch) {
        const i1 = Math.min(segment.shape[0], i0 + batch);
        yield () => readSliceRows(src, segment, i0, i1);
      }
      return;
    }
  }
}

/** `count` copies of `element`, concatenated. */
function repeat(element: Uint8Array, count: number): Uint8Array {
  const out = new Uint8Array(element.length * count);
  if (out.length === 0) return out;
  out.set(element);
  for (let filled = element.length; filled < out.length; filled *= 2) {
    out.copyWithin(filled, 0, Math.min(filled, out.length - filled));
  }
  return out;
}

/** Backup bytes for output rows [r0, r1) of a block `rowBytes` wide. */
async function backupRows(
  src: SegmentSources,
  backup: Backup,
  r0: number,
  r1: number,
  rowBytes: number,
): Promise<Uint8Array> {
  if (backup.kind === "new") {
    const offset = backup.offset + r0 * rowBytes;
    return await readShard(src, "new", backup.shardId, offset, (r1 - r0) * rowBytes);
  }
  return repeat(backup.element, ((r1 - r0) * rowBytes) / backup.element.length);
}

/** OLD rows of a remap held in memory for the whole segment. */
interface RowCache {
  /** First OLD row held. */
  start: number;
  /** The rows, read on first use. */
  bytes(): Promise<Uint8Array>;
}

/** The needed OLD rows of a remap, read once as one band when they fit the cache budget. */
function rowCache(src: SegmentSources, seg: RowsSegment): RowCache | undefined {
  let min = Infinity;
  let max = -1;
  for (const j of seg.rowMap) {
    if (j < 0) continue;
    if (j < min) min = j;
    if (j > max) max = j;
  }
  if (max < 0 || (max - min + 1) * seg.rowBytes > src.tuning.rowCacheBytes) return undefined;
  const shape = src.oldIndex.get(seg.oldKey)?.shape ?? [];
  let loaded: Promise<Uint8Array> | undefined;
  return {
    start: min,
    bytes: () => (loaded ??= readBox(
      src.store,
      src.oldIndex,
      seg.oldKey,
      rowBox(shape, min, max - min + 1),
    )),
  };
}

async function assembleRows(
  src: SegmentSources,
  seg: RowsSegment,
  i0: number,
  i1: number,
  cached: RowCache | undefined,
): Promise<Uint8Array> {
  const w = seg.rowBytes;
  const wanted: number[] = [];
  let missing = false;
  for (let i = i0; i < i1; i++) {
    if (seg.rowMap[i] >= 0) wanted.push(seg.rowMap[i]);
    else missing = true;
  }
  const [old, backup] = await Promise.all([
    wanted.length === 0
      ? Promise.resolve(new Uint8Array(0))
      : cached
      ? cached.bytes()
      : readRows(src.store, src.oldIndex, seg.oldKey, wanted, {
        maxWaste: src.tuning.maxRowWaste,
      }),
    missing
      ? backupRows(src, seg.backup, seg.backupRowStart + i0, seg.backupRowStart + i1, w)
      : Promise.resolve(undefined),
  ]);
  const out = new Uint8Array((i1 - i0) * w);
  let k = 0; // next row of `old` when it holds exactly the wanted rows in order
  for (let i = i0; i < i1; i++) {
    const j = seg.rowMap[i];
    const at = (i - i0) * w;
    if (j < 0) {
      out.set(backup!.subarray(at, at + w), at);
      continue;
    }
    const from = cached ? (j - cached.start) * w : (k++) * w;
    out.set(old.subarray(from, from + w), at);
  }
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
