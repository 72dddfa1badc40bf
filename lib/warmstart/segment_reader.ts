/**
 * Turns plan segments into byte chunks (as tasks for ordered prefetching). Rows and cells move as
 * bytes; nothing is decoded. Each chunk is about `chunkBytes`, so memory stays bounded by chunk
 * size x concurrency (plus, for a vocabulary remap, at most `rowCacheBytes` of OLD rows).
 *
 * @module
 */
import { readBand } from "./band_reader.ts";
import { innerRuns } from "./inner_runs.ts";
import type { Task } from "./ordered_prefetch.ts";
import type { Backup, Segment } from "./plan.ts";
import { rowRuns } from "./row_runs.ts";
import { readShard, type SegmentSources } from "./segment_sources.ts";

type RowsSegment = Extract<Segment, { kind: "rows" }>;
type ColumnsSegment = Extract<Segment, { kind: "columns" }>;
type BlockSegment = Extract<Segment, { kind: "block" }>;

/** Rows of OLD loaded once for a whole segment. */
interface RowCache {
  start: number;
  count: number;
  bytes(): Promise<Uint8Array>;
}

/** Number of output rows per chunk for rows `rowBytes` wide. */
function rowsPerChunk(src: SegmentSources, rowBytes: number): number {
  return Math.max(1, Math.floor(src.chunkBytes / Math.max(1, rowBytes)));
}

/** Chunk-producing tasks for one segment, in output order. */
export function* segmentTasks(src: SegmentSources, segment: Segment): Generator<Task<Uint8Array>> {
  switch (segment.kind) {
    case "range": {
      for (let done = 0; done < segment.length; done += src.chunkBytes) {
        const length = Math.min(src.chunkBytes, segment.length - done);
        yield () => readShard(src, segment.from, segment.shardId, segment.offset + done, length);
      }
      return;
    }
    case "fill": {
      const e = segment.element.length;
      const perChunk = Math.max(1, Math.floor(src.chunkBytes / e));
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
      const cache = rowCache(src, segment);
      const batch = rowsPerChunk(src, segment.rowBytes);
      for (let i0 = 0; i0 < segment.rowMap.length; i0 += batch) {
        const i1 = Math.min(segment.rowMap.length, i0 + batch);
        yield () => assembleRows(src, segment, i0, i1, cache);
      }
      return;
    }
    case "columns": {
      const batch = rowsPerChunk(
        src,
        Math.max(segment.cols, segment.oldCols) * segment.elementSize,
      );
      for (let i0 = 0; i0 < segment.rows; i0 += batch) {
        const i1 = Math.min(segment.rows, i0 + batch);
        yield () => assembleColumns(src, segment, i0, i1);
      }
      return;
    }
    case "block": {
      const fullRow = segment.fullShape.slice(1).reduce((a, b) => a * b, 1) * segment.elementSize;
      const batch = rowsPerChunk(src, fullRow);
      for (let i0 = 0; i0 < segment.shape[0]; i0 += batch) {
        const i1 = Math.min(segment.shape[0], i0 + batch);
        yield () => assembleBlock(src, segment, i0, i1);
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

/** The needed OLD rows of a remap, read once when they fit the cache budget. */
function rowCache(src: SegmentSources, seg: RowsSegment): RowCache | undefined {
  let min = Infinity;
  let max = -1;
  for (const j of seg.rowMap) {
    if (j < 0) continue;
    if (j < min) min = j;
    if (j > max) max = j;
  }
  if (max < 0 || (max - min + 1) * seg.rowBytes > src.rowCacheBytes) return undefined;
  let loaded: Promise<Uint8Array> | undefined;
  return {
    start: min,
    count: max - min + 1,
    bytes: () => (loaded ??= readBand(src, seg.oldKey, min, max - min + 1)),
  };
}

async function assembleRows(
  src: SegmentSources,
  seg: RowsSegment,
  i0: number,
  i1: number,
  cache: RowCache | undefined,
): Promise<Uint8Array> {
  const w = seg.rowBytes;
  const out = new Uint8Array((i1 - i0) * w);
  const wanted: number[] = [];
  let missing = false;
  for (let i = i0; i < i1; i++) {
    if (seg.rowMap[i] >= 0) wanted.push(seg.rowMap[i]);
    else missing = true;
  }
  wanted.sort((a, b) => a - b);
  const runs = cache
    ? (wanted.length > 0 ? [[cache.start, cache.count]] : [])
    : rowRuns(wanted, Math.floor(src.rowGapBytes / Math.max(1, w)));
  const [buffers, backup] = await Promise.all([
    cache && runs.length > 0
      ? Promise.all([cache.bytes()])
      : Promise.all(runs.map(([start, count]) => readBand(src, seg.oldKey, start, count))),
    missing
      ? backupRows(src, seg.backup, seg.backupRowStart + i0, seg.backupRowStart + i1, w)
      : Promise.resolve(undefined),
  ]);
  const runOf = (j: number) => {
    // runs are sorted: binary search the run holding row j
    let lo = 0;
    let hi = runs.length - 1;
    while (lo < hi) {
      const mid = Math.floor((lo + hi + 1) / 2);
      if (runs[mid][0] <= j) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };
  let run = 0;
  for (let i = i0; i < i1; i++) {
    const j = seg.rowMap[i];
    const at = (i - i0) * w;
    if (j < 0) {
      out.set(backup!.subarray(at, at + w), at);
      continue;
    }
    if (!(runs[run][0] <= j && j < runs[run][0] + runs[run][1])) run = runOf(j);
    const from = (j - runs[run][0]) * w;
    out.set(buffers[run].subarray(from, from + w), at);
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
  const [old, backup] = await Promise.all([
    readBand(src, seg.oldKey, seg.oldRowStart + i0, i1 - i0),
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

/** Rows [i0, i1) of a block: full OLD rows read as a band, the block's columns cut out. */
async function assembleBlock(
  src: SegmentSources,
  seg: BlockSegment,
  i0: number,
  i1: number,
): Promise<Uint8Array> {
  const e = seg.elementSize;
  const inner = seg.fullShape.slice(1);
  const fullRow = inner.reduce((a, b) => a * b, 1) * e;
  const runs = innerRuns(inner, seg.offset.slice(1), seg.shape.slice(1), e);
  const outRow = runs.reduce((n, [, l]) => n + l, 0);
  const band = await readBand(src, seg.oldKey, seg.offset[0] + i0, i1 - i0);
  const out = new Uint8Array((i1 - i0) * outRow);
  let pos = 0;
  for (let r = 0; r < i1 - i0; r++) {
    for (const [start, length] of runs) {
      out.set(band.subarray(r * fullRow + start, r * fullRow + start + length), pos);
      pos += length;
    }
  }
  return out;
}
