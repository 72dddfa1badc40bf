/**
 * Where rows of a tensor live in the data shards: the byte spans which, concatenated in order, are
 * rows [rowStart, rowStart + rowCount) along axis 0 of the FULL tensor in row-major order — for a
 * plain fixed-width entry (one span) and for a partitioned tensor split along any axes (a row is
 * then one span per slice run covering it). Adjacent spans are merged. Pure: no I/O.
 *
 * @module
 */
import { CorruptCheckpointError, NotFoundError, UnsupportedError } from "../errors.ts";
import type { BundleEntry } from "./types.ts";
import type { BundleIndex } from "./bundle_index.ts";
import { dtypeElementSize, dtypeName } from "./dtype.ts";
import { displayKey, keyBytes } from "./keys.ts";
import { type Box, checkSlices, formatSlice } from "./slice_geometry.ts";
import { checkEntrySize, checkSliceEntry } from "./tensor_reader.ts";

/** A byte range in data shard `shardId`. */
export interface ByteSpan {
  shardId: number;
  offset: number;
  length: number;
}

/** Appends a span, merging it into the previous one when contiguous in the same shard. */
export function pushSpan(spans: ByteSpan[], span: ByteSpan): void {
  if (span.length === 0) return;
  const last = spans[spans.length - 1];
  if (last && last.shardId === span.shardId && last.offset + last.length === span.offset) {
    last.length += span.length;
  } else {
    spans.push({ ...span });
  }
}

/** One contiguous run of a row inside one slice, as a template (row-independent parts). */
interface Run {
  /** Position of the run's first element within a full row (elements). */
  fullPos: number;
  slice: number;
  /** Offset of the run's first element within the slice's row (elements). */
  srcInner: number;
  /** Run length (elements). */
  length: number;
}

/**
 * Byte spans of rows [rowStart, rowStart+rowCount) of tensor `name` (a "row" of a 1-D tensor is one
 * element; a scalar has one row). Throws NotFoundError (no such tensor or slice), UnsupportedError
 * (string/variant), CorruptCheckpointError (bad sizes, missing coverage), RangeError (rows out of
 * range).
 */
export function locateRows(
  index: BundleIndex,
  name: string | Uint8Array,
  rowStart: number,
  rowCount: number,
): ByteSpan[] {
  const key = displayKey(keyBytes(name));
  const entry = index.get(name);
  if (!entry) {
    throw new NotFoundError(`Key ${key} not found in checkpoint ${index.prefix}`, { key });
  }
  const elem = dtypeElementSize(entry.dtype);
  if (elem === undefined) {
    throw new UnsupportedError(
      `Rows of ${dtypeName(entry.dtype)} tensor ${key} have no fixed byte ranges`,
      { key, actual: dtypeName(entry.dtype) },
    );
  }
  const shape = entry.shape;
  const rows = shape.length === 0 ? 1 : shape[0];
  if (
    !Number.isSafeInteger(rowStart) || !Number.isSafeInteger(rowCount) || rowStart < 0 ||
    rowCount < 0 || rowStart + rowCount > rows
  ) {
    throw new RangeError(
      `Rows [${rowStart}, ${rowStart + rowCount}) are out of range for ${key} with ${rows} rows`,
    );
  }
  let rowElems = 1;
  for (let d = 1; d < shape.length; d++) rowElems *= shape[d];
  const rowBytes = rowElems * elem;
  const spans: ByteSpan[] = [];
  if (rowCount === 0 || rowBytes === 0) return spans;
  if (entry.slices.length === 0) {
    checkEntrySize(index, entry);
    pushSpan(spans, {
      shardId: entry.shardId,
      offset: entry.offset + rowStart * rowBytes,
      length: rowCount * rowBytes,
    });
    return spans;
  }
  return locatePartitionedRows(index, entry, elem, rowStart, rowStart + rowCount);
}

function locatePartitionedRows(
  index: BundleIndex,
  entry: BundleEntry,
  elem: number,
  rowStart: number,
  rowEnd: number,
): ByteSpan[] {
  const key = displayKey(entry.key);
  const shape = entry.shape;
  const rank = shape.length;
  const boxes = checkSlices(entry.slices, shape, { key });
  const sliceEntries = entry.slices.map((slice, i) => {
    const se = index.getSlice(entry.key, slice);
    if (!se) {
      throw new NotFoundError(
        `Slice ${formatSlice(slice)} of ${key} not found in checkpoint ${index.prefix}`,
        { key },
      );
    }
    checkSliceEntry(entry, se, boxes[i].length);
    checkEntrySize(index, se);
    return se;
  });
  let rowElems = 1;
  for (let d = 1; d < rank; d++) rowElems *= shape[d];
  const rowBytes = rowElems * elem;
  const innerElems = (b: Box) => {
    let n = 1;
    for (let d = 1; d < rank; d++) n *= b.length[d];
    return n;
  };
  // Breakpoints along axis 0: between two consecutive ones the covering slices do not change.
  const cuts = new Set<number>([rowStart, rowEnd]);
  for (const b of boxes) {
    if (b.start[0] > rowStart && b.start[0] < rowEnd) cuts.add(b.start[0]);
    const end = b.start[0] + b.length[0];
    if (end > rowStart && end < rowEnd) cuts.add(end);
  }
  const points = [...cuts].sort((a, b) => a - b);
  const spans: ByteSpan[] = [];
  for (let p = 0; p + 1 < points.length; p++) {
    const a = points[p];
    const z = points[p + 1];
    const covering: number[] = [];
    let covered = 0;
    for (let i = 0; i < boxes.length; i++) {
      const b = boxes[i];
      if (b.start[0] <= a && a < b.start[0] + b.length[0] && innerElems(b) > 0) {
        covering.push(i);
        covered += innerElems(b);
      }
    }
    if (covered !== rowElems) {
      throw new CorruptCheckpointError(
        `Does not have sufficient slices for partitioned tensor ${key}: row ${a} has ${covered} of ${rowElems} elements`,
        { key, expected: rowElems, actual: covered },
      );
    }
    if (covering.length === 1) {
      // One slice holds whole rows: the row range is one contiguous span.
      const i = covering[0];
      const se = sliceEntries[i];
      pushSpan(spans, {
        shardId: se.shardId,
        offset: se.offset + (a - boxes[i].start[0]) * rowBytes,
        length: (z - a) * rowBytes,
      });
      continue;
    }
    const runs = rowRuns(covering, boxes, shape);
    for (let r = a; r < z; r++) {
      for (const run of runs) {
        const b = boxes[run.slice];
        const se = sliceEntries[run.slice];
        const srcElem = (r - b.start[0]) * innerElems(b) + run.srcInner;
        pushSpan(spans, {
          shardId: se.shardId,
          offset: se.offset + srcElem * elem,
          length: run.length * elem,
        });
      }
    }
  }
  return spans;
}

/** The runs making up one full row, in row-major order, for the given covering slices. */
function rowRuns(covering: number[], boxes: Box[], shape: readonly number[]): Run[] {
  const rank = shape.length;
  const stride = new Array<number>(rank).fill(1);
  for (let d = rank - 2; d >= 1; d--) stride[d] = stride[d + 1] * shape[d + 1];
  const runs: Run[] = [];
  for (const i of covering) {
    const b = boxes[i];
    const sliceStride = new Array<number>(rank).fill(1);
    for (let d = rank - 2; d >= 1; d--) sliceStride[d] = sliceStride[d + 1] * b.length[d + 1];
    const idx = new Array<number>(rank).fill(0);
    for (;;) {
      let fullPos = b.start[rank - 1];
      let srcInner = 0;
      for (let d = 1; d < rank - 1; d++) {
        fullPos += (b.start[d] + idx[d]) * stride[d];
        srcInner += idx[d] * sliceStride[d];
      }
      runs.push({ fullPos, slice: i, srcInner, length: b.length[rank - 1] });
      let d = rank - 2;
      while (d >= 1) {
        if (++idx[d] < b.length[d]) break;
        idx[d] = 0;
        d--;
      }
      if (d < 1) break;
    }
  }
  return runs.sort((x, y) => x.fullPos - y.fullPos);
}
