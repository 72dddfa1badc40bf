/**
 * Turns plan segments into byte chunks (as tasks for ordered prefetching). Rows and cells move as
 * bytes; nothing is decoded. Each chunk is at most about `chunkBytes`, so memory stays bounded by
 * chunk size x concurrency.
 *
 * @module
 */
import type { BundleIndex } from "../checkpoint/bundle_index.ts";
import { dataLocation } from "../checkpoint/naming.ts";
import { locateRows } from "../checkpoint/row_locator.ts";
import type { ReadOptions, Store } from "../storage/store.ts";
import type { Task } from "./ordered_prefetch.ts";
import type { Backup, Segment, Side } from "./plan.ts";

/** Where segment bytes are read from. */
export interface SegmentSources {
  store: Store;
  oldIndex: BundleIndex;
  newIndex: BundleIndex;
  /** Target size of one chunk. */
  chunkBytes: number;
  /** Largest gap (bytes) between needed OLD rows that is read through rather than split. */
  rowGapBytes: number;
  /** ETag each data shard had when the job started (pins every read). */
  etags?: Map<string, string>;
}

/** Data-shard location of one side. */
export function shardLocation(src: SegmentSources, side: Side, shardId: number): string {
  const index = side === "old" ? src.oldIndex : src.newIndex;
  return dataLocation(index.prefix, shardId, index.header.numShards);
}

function readOptions(src: SegmentSources, location: string): ReadOptions {
  const etag = src.etags?.get(location);
  return etag ? { ifMatch: etag } : {};
}

/** Reads bytes of one side's shard. */
export function readShard(
  src: SegmentSources,
  side: Side,
  shardId: number,
  offset: number,
  length: number,
): Promise<Uint8Array> {
  if (length === 0) return Promise.resolve(new Uint8Array(0));
  const location = shardLocation(src, side, shardId);
  return src.store.readRange(location, { offset, length }, readOptions(src, location));
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
      const batch = Math.max(1, Math.floor(src.chunkBytes / Math.max(1, segment.rowBytes)));
      for (let i0 = 0; i0 < segment.rowMap.length; i0 += batch) {
        const i1 = Math.min(segment.rowMap.length, i0 + batch);
        yield () => assembleRows(src, segment, i0, i1);
      }
      return;
    }
    case "columns": {
      const rowBytes = Math.max(segment.cols, segment.oldCols) * segment.elementSize;
      const batch = Math.max(1, Math.floor(src.chunkBytes / Math.max(1, rowBytes)));
      for (let i0 = 0; i0 < segment.rows; i0 += batch) {
        const i1 = Math.min(segment.rows, i0 + batch);
        yield () => assembleColumns(src, segment, i0, i1);
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

/** Reads rows [start, start+count) of an OLD tensor (across its slices). */
async function readOldRows(
  src: SegmentSources,
  key: string,
  start: number,
  count: number,
): Promise<Uint8Array> {
  const spans = locateRows(src.oldIndex, key, start, count);
  const parts = await Promise.all(
    spans.map((s) => readShard(src, "old", s.shardId, s.offset, s.length)),
  );
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let pos = 0;
  for (const p of parts) {
    out.set(p, pos);
    pos += p.length;
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
    return await readShard(
      src,
      "new",
      backup.shardId,
      backup.offset + r0 * rowBytes,
      (r1 - r0) * rowBytes,
    );
  }
  return repeat(backup.element, ((r1 - r0) * rowBytes) / backup.element.length);
}

/** Groups sorted row ids into read runs, reading through gaps smaller than the limit. */
function readRuns(rows: number[], rowBytes: number, gapBytes: number): Array<[number, number]> {
  const runs: Array<[number, number]> = [];
  const maxGapRows = Math.floor(gapBytes / Math.max(1, rowBytes));
  for (const r of rows) {
    const last = runs[runs.length - 1];
    if (last && r - (last[0] + last[1]) <= maxGapRows) last[1] = r - last[0] + 1;
    else runs.push([r, 1]);
  }
  return runs;
}

async function assembleRows(
  src: SegmentSources,
  seg: Extract<Segment, { kind: "rows" }>,
  i0: number,
  i1: number,
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
  const runs = readRuns(wanted, w, src.rowGapBytes);
  const [buffers, backup] = await Promise.all([
    Promise.all(runs.map(([start, count]) => readOldRows(src, seg.oldKey, start, count))),
    missing
      ? backupRows(src, seg.backup, seg.backupRowStart + i0, seg.backupRowStart + i1, w)
      : Promise.resolve(undefined),
  ]);
  let run = 0;
  const runOf = (j: number) => {
    // runs are sorted; binary search the run holding row j
    let lo = 0;
    let hi = runs.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (runs[mid][0] <= j) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };
  for (let i = i0; i < i1; i++) {
    const j = seg.rowMap[i];
    const at = (i - i0) * w;
    if (j < 0) {
      out.set(backup!.subarray(at, at + w), at);
      continue;
    }
    run = runs[run][0] <= j && j < runs[run][0] + runs[run][1] ? run : runOf(j);
    const from = (j - runs[run][0]) * w;
    out.set(buffers[run].subarray(from, from + w), at);
  }
  return out;
}

async function assembleColumns(
  src: SegmentSources,
  seg: Extract<Segment, { kind: "columns" }>,
  i0: number,
  i1: number,
): Promise<Uint8Array> {
  const e = seg.elementSize;
  const outRow = seg.cols * e;
  const oldRow = seg.oldCols * e;
  const needsBackup = seg.colMap.length < seg.cols || seg.colMap.some((j) => j < 0);
  const [old, backup] = await Promise.all([
    readOldRows(src, seg.oldKey, seg.oldRowStart + i0, i1 - i0),
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
