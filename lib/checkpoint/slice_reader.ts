/**
 * The one slice path of the format: any block (a "box": start and length per dimension) of any
 * fixed-width tensor, whether it is stored as one entry or as slices along any axes, is located
 * and read here — whole tensors, bands of rows, single rows of a vocabulary remap and the blocks
 * of a repartitioned variable alike. Like TF's BundleReader::GetSliceValue
 * (tensorflow/core/util/tensor_bundle/tensor_bundle.cc): every stored piece that intersects the
 * requested box is read (the covering rows of the piece, one range each) and its intersection is
 * copied into place; pieces must be disjoint and cover the box.
 *
 * @module
 */
import { CorruptCheckpointError, TensorNotFoundError, UnsupportedError } from "./errors.ts";
import type { ByteRange, ReadOptions } from "../storage/mod.ts";
import type { BundleIndex } from "./bundle_index.ts";
import { dtypeElementSize, dtypeName } from "./dtype.ts";
import { displayKey, keyBytes } from "./keys.ts";
import { dataLocation } from "./naming.ts";
import { type Box, boxElements, checkSlices, formatSlice } from "./slice_geometry.ts";
import {
  checkEntrySize,
  checkSliceEntry,
  type EntrySource,
  readTensorBytes,
  shardSize,
} from "./entry_reader.ts";
import type { BundleEntry } from "./types.ts";

/** A byte range in data shard `shardId`. */
export interface ByteSpan {
  /** Data shard. */
  shardId: number;
  /** First byte in the shard. */
  offset: number;
  /** Number of bytes. */
  length: number;
}

/**
 * What the slice path reads through: a Store, ideally with batched range reads (the job store's
 * `readRanges` coalesces them; a plain store reads them one by one).
 */
export interface SliceSource extends EntrySource {
  /** Several ranges of one object, in input order. */
  readRanges?(
    location: string,
    ranges: readonly ByteRange[],
    options?: ReadOptions & { maxWaste?: number },
  ): Promise<Uint8Array[]>;
}

/** One stored entry of a tensor (the plain entry, or one slice entry) and the block it holds. */
export interface StoredPiece {
  /** The entry whose bytes are the piece, row-major over `box.length`. */
  entry: BundleEntry;
  /** The block of the full tensor the piece holds. */
  box: Box;
}

/** A fixed-width tensor as the slice path sees it: its stored pieces and element size. */
export interface StoredTensor {
  /** The tensor's (full) entry. */
  entry: BundleEntry;
  /** Disjoint pieces, validated against the full entry. */
  pieces: StoredPiece[];
  /** Bytes per element. */
  elementSize: number;
}

/**
 * The stored pieces of fixed-width tensor `name`, checked: every slice entry exists and has the
 * slice's dtype and shape, slices lie inside the shape and do not overlap, entry sizes match.
 *
 * @throws TensorNotFoundError (no such key or slice entry), UnsupportedError (string, variant),
 *   CorruptCheckpointError (bad sizes or slices)
 */
export function storedTensor(index: BundleIndex, name: string | Uint8Array): StoredTensor {
  const key = displayKey(keyBytes(name));
  const entry = index.get(name);
  if (!entry) {
    throw new TensorNotFoundError(`Key ${key} not found in checkpoint ${index.prefix}`, { key });
  }
  const elementSize = dtypeElementSize(entry.dtype);
  if (elementSize === undefined) {
    throw new UnsupportedError(
      `Blocks of ${dtypeName(entry.dtype)} tensor ${key} have no fixed byte ranges`,
      { key, actual: dtypeName(entry.dtype) },
    );
  }
  if (entry.slices.length === 0) {
    checkEntrySize(index, entry);
    return {
      entry,
      elementSize,
      pieces: [{ entry, box: { start: entry.shape.map(() => 0), length: [...entry.shape] } }],
    };
  }
  const boxes = checkSlices(entry.slices, entry.shape, { key });
  const pieces = entry.slices.map((slice, i) => {
    const stored = index.getSlice(entry.key, slice);
    if (!stored) {
      throw new TensorNotFoundError(
        `Slice ${formatSlice(slice)} of ${key} not found in checkpoint ${index.prefix}`,
        { key },
      );
    }
    checkSliceEntry(entry, stored, boxes[i].length);
    checkEntrySize(index, stored);
    return { entry: stored, box: boxes[i] };
  });
  return { entry, pieces, elementSize };
}

/** The whole tensor as a box. */
export function fullBox(shape: readonly number[]): Box {
  return { start: shape.map(() => 0), length: [...shape] };
}

/** Rows [start, start + count) along dimension 0 (a scalar has one row), all inner elements. */
export function rowBox(shape: readonly number[], start: number, count: number): Box {
  if (shape.length === 0) return { start: [], length: [] };
  return { start: [start, ...shape.slice(1).map(() => 0)], length: [count, ...shape.slice(1)] };
}

/** A byte copy from a piece's row into the requested box's row: [src, dst, length] in bytes. */
type Run = [number, number, number];

/** How one piece contributes to one box: the rows it covers and the runs of each such row. */
interface Contribution {
  piece: StoredPiece;
  /** Rows (dimension 0, full-tensor coordinates) of the intersection. */
  rowStart: number;
  rowEnd: number;
  /** Bytes of one row of the piece and of the box. */
  pieceRowBytes: number;
  boxRowBytes: number;
  /** Copies within one row, in destination order, adjacent ones merged. */
  runs: Run[];
  /** Elements of the intersection. */
  elements: number;
}

/** The runs copying the intersection of `piece` and `box` in their inner dimensions (1..n). */
function innerRuns(piece: Box, box: Box, lo: number[], hi: number[], elem: number): Run[] {
  const rank = box.length.length;
  if (rank <= 1) return [[0, 0, elem]]; // a row is one element
  const stride = (b: Box) => {
    const s = new Array<number>(rank).fill(elem);
    for (let d = rank - 2; d >= 0; d--) s[d] = s[d + 1] * b.length[d + 1];
    return s;
  };
  const ps = stride(piece);
  const bs = stride(box);
  const runs: Run[] = [];
  const idx = lo.slice(1, rank - 1);
  const last = rank - 1;
  for (;;) {
    let src = (lo[last] - piece.start[last]) * elem;
    let dst = (lo[last] - box.start[last]) * elem;
    for (let d = 1; d < last; d++) {
      src += (idx[d - 1] - piece.start[d]) * ps[d];
      dst += (idx[d - 1] - box.start[d]) * bs[d];
    }
    const length = (hi[last] - lo[last]) * elem;
    const prev = runs[runs.length - 1];
    if (prev && prev[0] + prev[2] === src && prev[1] + prev[2] === dst) prev[2] += length;
    else runs.push([src, dst, length]);
    let d = last - 1;
    while (d >= 1) {
      if (++idx[d - 1] < hi[d]) break;
      idx[d - 1] = lo[d];
      d--;
    }
    if (d < 1) break;
  }
  return runs;
}

/** Every piece's part of `box`, checking that the pieces cover it exactly. */
function contributions(tensor: StoredTensor, box: Box): Contribution[] {
  const { entry, elementSize: elem } = tensor;
  const key = displayKey(entry.key);
  const rank = entry.shape.length;
  if (
    box.start.length !== rank || box.length.length !== rank ||
    box.start.some((s, d) =>
      !Number.isSafeInteger(s) || s < 0 || s + box.length[d] > entry.shape[d]
    ) ||
    box.length.some((l) => !Number.isSafeInteger(l) || l < 0)
  ) {
    throw new RangeError(
      `Block start [${box.start}] length [${box.length}] is outside ${key} [${entry.shape}]`,
    );
  }
  const rowBytes = (b: Box) => b.length.slice(1).reduce((p, l) => p * l, 1) * elem;
  const out: Contribution[] = [];
  let covered = 0;
  for (const piece of tensor.pieces) {
    const lo = box.start.map((s, d) => Math.max(s, piece.box.start[d]));
    const hi = box.start.map((s, d) =>
      Math.min(s + box.length[d], piece.box.start[d] + piece.box.length[d])
    );
    if (lo.some((l, d) => l >= hi[d]) && rank > 0) continue;
    const elements = lo.reduce((p, l, d) => p * (hi[d] - l), 1);
    if (elements === 0) continue;
    covered += elements;
    out.push({
      piece,
      rowStart: rank === 0 ? 0 : lo[0],
      rowEnd: rank === 0 ? 1 : hi[0],
      pieceRowBytes: rowBytes(piece.box),
      boxRowBytes: rowBytes(box),
      runs: innerRuns(piece.box, box, lo, hi, elem),
      elements,
    });
  }
  if (covered !== boxElements(box)) throw insufficientSlices(key, box, out);
  return out;
}

/** TF's "Does not have sufficient slices" error, naming the first row of the box left short. */
function insufficientSlices(key: string, box: Box, parts: Contribution[]): CorruptCheckpointError {
  const rowElements = box.length.slice(1).reduce((p, l) => p * l, 1);
  const first = firstRow(box);
  const rows = box.length.length === 0 ? 1 : box.length[0];
  for (let r = first; r < first + rows; r++) {
    const covered = parts.filter((c) => c.rowStart <= r && r < c.rowEnd)
      .reduce((n, c) => n + c.elements / (c.rowEnd - c.rowStart), 0);
    if (covered !== rowElements) {
      return new CorruptCheckpointError(
        `Does not have sufficient slices for partitioned tensor ${key}: row ${r} has ${covered} ` +
          `of ${rowElements} elements`,
        { key, expected: rowElements, actual: covered },
      );
    }
  }
  return new CorruptCheckpointError(
    `Does not have sufficient slices for partitioned tensor ${key}`,
    {
      key,
    },
  );
}

/** First row (dimension 0) of a box; 0 for a scalar. */
function firstRow(b: Box): number {
  return b.start.length === 0 ? 0 : b.start[0];
}

/** Appends a span, merging it into the previous one when contiguous in the same shard. */
function pushSpan(spans: ByteSpan[], span: ByteSpan): void {
  if (span.length === 0) return;
  const last = spans[spans.length - 1];
  if (last && last.shardId === span.shardId && last.offset + last.length === span.offset) {
    last.length += span.length;
  } else {
    spans.push({ ...span });
  }
}

/**
 * Where the bytes of `box` of tensor `name` are stored: byte spans which, concatenated in order,
 * are the box's row-major bytes. Adjacent spans are merged. Pure: no I/O.
 *
 * @param index the bundle's index
 * @param name the tensor key
 * @param box the block, in full-tensor coordinates
 * @returns the spans, in the box's byte order
 */
export function locateBox(index: BundleIndex, name: string | Uint8Array, box: Box): ByteSpan[] {
  const tensor = storedTensor(index, name);
  const parts = contributions(tensor, box);
  const spans: ByteSpan[] = [];
  const rows = box.length.length === 0 ? 1 : box.length[0];
  const end = firstRow(box) + rows;
  // Per destination row, the runs of every piece covering it, in destination order.
  let r = firstRow(box);
  while (r < end) {
    const covering = parts.filter((c) => c.rowStart <= r && r < c.rowEnd);
    const bandEnd = Math.min(
      end,
      ...covering.map((c) => c.rowEnd),
      ...parts.filter((c) => c.rowStart > r).map((c) => c.rowStart),
    );
    const single = covering.length === 1 && covering[0].runs.length === 1 &&
      covering[0].runs[0][2] === covering[0].pieceRowBytes &&
      covering[0].pieceRowBytes === covering[0].boxRowBytes;
    if (single) {
      const c = covering[0];
      pushSpan(spans, {
        shardId: c.piece.entry.shardId,
        offset: c.piece.entry.offset + (r - firstRow(c.piece.box)) * c.pieceRowBytes,
        length: (bandEnd - r) * c.boxRowBytes,
      });
      r = bandEnd;
      continue;
    }
    const runs = covering.flatMap((c) => c.runs.map((run) => ({ c, run })))
      .sort((a, b) => a.run[1] - b.run[1]);
    for (; r < bandEnd; r++) {
      for (const { c, run } of runs) {
        pushSpan(spans, {
          shardId: c.piece.entry.shardId,
          offset: c.piece.entry.offset + (r - firstRow(c.piece.box)) * c.pieceRowBytes + run[0],
          length: run[2],
        });
      }
    }
  }
  return spans;
}

/**
 * Byte spans of rows [rowStart, rowStart + rowCount) of tensor `name` (see {@link locateBox}).
 *
 * @param index the bundle's index
 * @param name the tensor key
 * @param rowStart first row (dimension 0)
 * @param rowCount number of rows
 * @returns the spans, in row order
 */
export function locateRows(
  index: BundleIndex,
  name: string | Uint8Array,
  rowStart: number,
  rowCount: number,
): ByteSpan[] {
  const entry = storedTensor(index, name).entry;
  const rows = entry.shape.length === 0 ? 1 : entry.shape[0];
  if (
    !Number.isSafeInteger(rowStart) || !Number.isSafeInteger(rowCount) || rowStart < 0 ||
    rowCount < 0 || rowStart + rowCount > rows
  ) {
    throw new RangeError(
      `Rows [${rowStart}, ${rowStart + rowCount}) are out of range for ${
        displayKey(entry.key)
      } with ${rows} rows`,
    );
  }
  if (entry.shape.length === 0) return rowCount === 0 ? [] : locateBox(index, name, fullBox([]));
  return locateBox(index, name, rowBox(entry.shape, rowStart, rowCount));
}

/** Options of {@link readBox} and {@link readRows}. */
export interface SliceReadOptions {
  /** Aborts the reads. */
  signal?: AbortSignal;
  /** Bridged bytes per needed byte when rows are read as one batch (readRows). */
  maxWaste?: number;
  /** Called for every stored entry read whole and found to match its CRC32C. */
  onVerified?: (entry: BundleEntry) => void;
  /**
   * readBox: a buffer the bytes may be read into when the box is whole rows of one stored piece
   * (a band; the result is then a view of it), for callers that reuse buffers.
   */
  into?: Uint8Array;
}

/** Reads ranges of one location through the source, batched when it can. */
function readRangesOf(
  source: SliceSource,
  location: string,
  ranges: ByteRange[],
  options: SliceReadOptions,
): Promise<Uint8Array[]> {
  const o = {
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.maxWaste !== undefined ? { maxWaste: options.maxWaste } : {}),
  };
  if (source.readRanges) return source.readRanges(location, ranges, o);
  return Promise.all(ranges.map((r) => source.readRange(location, r, o)));
}

/** Checks that a piece's bytes lie inside its data shard before anything is read. */
async function checkInShard(source: SliceSource, index: BundleIndex, piece: StoredPiece) {
  const e = piece.entry;
  const size = await shardSize(source, index, e.shardId);
  if (e.offset + e.size > size) {
    const location = dataLocation(index.prefix, e.shardId, index.header.numShards);
    throw new CorruptCheckpointError(
      `Entry ${displayKey(e.key)} points past the end of ${location}: bytes [${e.offset}, ${
        e.offset + e.size
      }) of a ${size}-byte file`,
      {
        location,
        key: displayKey(e.key),
        offset: e.offset,
        expected: `<= ${size}`,
        actual: e.offset + e.size,
      },
    );
  }
}

/**
 * The row-major bytes of `box` of fixed-width tensor `name`: one range read per stored piece that
 * intersects the box (its covering rows), the intersections copied into place. A piece read
 * whole is checked against its stored CRC32C.
 *
 * @param source where the data shards are read
 * @param index the bundle's index
 * @param name the tensor key
 * @param box the block, in full-tensor coordinates
 * @param options abort signal
 * @returns the box's bytes
 */
export async function readBox(
  source: SliceSource,
  index: BundleIndex,
  name: string | Uint8Array,
  box: Box,
  options: SliceReadOptions = {},
): Promise<Uint8Array> {
  const tensor = storedTensor(index, name);
  const parts = contributions(tensor, box);
  const boxFirstRow = firstRow(box);
  const only = parts.length === 1 ? parts[0] : undefined;
  const onlyRows = only && (only.piece.box.length.length === 0 ? 1 : only.piece.box.length[0]);
  if (
    only && only.rowEnd - only.rowStart !== onlyRows && only.runs.length === 1 &&
    only.runs[0][2] === only.pieceRowBytes && only.pieceRowBytes === only.boxRowBytes
  ) {
    // Whole rows of one stored piece (a band): the bytes read are the box, no copy.
    await checkInShard(source, index, only.piece);
    const location = dataLocation(index.prefix, only.piece.entry.shardId, index.header.numShards);
    const range = {
      offset: only.piece.entry.offset + (only.rowStart - firstRow(only.piece.box)) *
          only.pieceRowBytes,
      length: (only.rowEnd - only.rowStart) * only.pieceRowBytes,
    };
    return await source.readRange(location, range, {
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.into ? { into: options.into } : {}),
    });
  }
  const out = new Uint8Array(boxElements(box) * tensor.elementSize);
  await Promise.all(parts.map(async (c) => {
    // A read of every row of a piece is a read of the whole entry: take it whole, verified.
    const pieceRows = c.piece.box.length.length === 0 ? 1 : c.piece.box.length[0];
    const whole = c.rowEnd - c.rowStart === pieceRows;
    if (whole) {
      // A piece read whole is verified like TF's reader does (CRC32C of the entry).
      const bytes = await readTensorBytes(source, index, c.piece.entry);
      options.onVerified?.(c.piece.entry);
      scatter(c, bytes, c.rowStart, out, boxFirstRow);
      return;
    }
    await checkInShard(source, index, c.piece);
    const pieceFirstRow = firstRow(c.piece.box);
    const location = dataLocation(index.prefix, c.piece.entry.shardId, index.header.numShards);
    const [bytes] = await readRangesOf(source, location, [{
      offset: c.piece.entry.offset + (c.rowStart - pieceFirstRow) * c.pieceRowBytes,
      length: (c.rowEnd - c.rowStart) * c.pieceRowBytes,
    }], options);
    scatter(c, bytes, c.rowStart, out, boxFirstRow);
  }));
  return out;
}

/** Copies rows [c.rowStart, c.rowEnd) of a piece (bytes starting at row `from`) into `out`. */
function scatter(
  c: Contribution,
  bytes: Uint8Array,
  from: number,
  out: Uint8Array,
  boxFirstRow: number,
): void {
  const pieceFirstRow = firstRow(c.piece.box);
  const srcBase = (from - pieceFirstRow) * c.pieceRowBytes;
  const only = c.runs.length === 1 ? c.runs[0] : undefined;
  if (only && only[2] === c.pieceRowBytes && only[2] === c.boxRowBytes) {
    // Whole rows on both sides: one copy for the band.
    const n = (c.rowEnd - c.rowStart) * c.boxRowBytes;
    const src = (c.rowStart - pieceFirstRow) * c.pieceRowBytes - srcBase;
    out.set(bytes.subarray(src, src + n), (c.rowStart - boxFirstRow) * c.boxRowBytes);
    return;
  }
  for (let r = c.rowStart; r < c.rowEnd; r++) {
    const src = (r - pieceFirstRow) * c.pieceRowBytes - srcBase;
    const dst = (r - boxFirstRow) * c.boxRowBytes;
    for (const [s, d, n] of c.runs) out.set(bytes.subarray(src + s, src + s + n), dst + d);
  }
}

/**
 * The bytes of rows `rows` (dimension 0, any order, repeats allowed) of fixed-width tensor
 * `name`, concatenated in the given order. The rows each piece holds are read as one batch
 * (coalesced by the source within `maxWaste`), never one request per row when rows are near.
 *
 * @param source where the data shards are read
 * @param index the bundle's index
 * @param name the tensor key (rank >= 1)
 * @param rows the row numbers
 * @param options abort signal, waste budget
 * @returns `rows.length` rows of bytes
 */
export async function readRows(
  source: SliceSource,
  index: BundleIndex,
  name: string | Uint8Array,
  rows: ArrayLike<number>,
  options: SliceReadOptions = {},
): Promise<Uint8Array> {
  const tensor = storedTensor(index, name);
  const shape = tensor.entry.shape;
  if (shape.length === 0) throw new RangeError("A scalar has no rows to pick");
  const rowBytes = shape.slice(1).reduce((p, d) => p * d, 1) * tensor.elementSize;
  const out = new Uint8Array(rows.length * rowBytes);
  if (rows.length === 0 || rowBytes === 0) return out;
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    if (!Number.isSafeInteger(r) || r < 0 || r >= shape[0]) {
      throw new RangeError(
        `Row ${r} is outside ${displayKey(tensor.entry.key)} with ${shape[0]} rows`,
      );
    }
  }
  // Runs of consecutive wanted rows: one range each (the source joins near runs into requests).
  const sorted = Float64Array.from(rows).sort();
  const runs: Array<[number, number]> = [];
  for (const r of sorted) {
    const last = runs[runs.length - 1];
    if (last && r < last[0] + last[1]) continue; // a repeat
    if (last && r === last[0] + last[1]) last[1]++;
    else runs.push([r, 1]);
  }
  await Promise.all(
    contributions(tensor, rowBox(shape, 0, shape[0])).map(async (c) => {
      // The parts of the runs inside this piece's rows.
      const mine = runs
        .map(([r, n]): [number, number] => [Math.max(r, c.rowStart), Math.min(r + n, c.rowEnd)])
        .filter(([a, b]) => a < b);
      if (mine.length === 0) return;
      await checkInShard(source, index, c.piece);
      const location = dataLocation(index.prefix, c.piece.entry.shardId, index.header.numShards);
      const first = c.piece.box.start[0];
      const buffers = await readRangesOf(
        source,
        location,
        mine.map(([a, b]) => ({
          offset: c.piece.entry.offset + (a - first) * c.pieceRowBytes,
          length: (b - a) * c.pieceRowBytes,
        })),
        options,
      );
      let k = 0;
      for (let i = 0; i < rows.length; i++) {
        const r = rows[i];
        if (r < c.rowStart || r >= c.rowEnd) continue;
        if (!(mine[k][0] <= r && r < mine[k][1])) k = runHolding(mine, r);
        const src = (r - mine[k][0]) * c.pieceRowBytes;
        const row = buffers[k];
        for (const [s, d, n] of c.runs) {
          out.set(row.subarray(src + s, src + s + n), i * rowBytes + d);
        }
      }
    }),
  );
  return out;
}

/** Index of the run [start, end) holding row `r` (runs sorted and disjoint). */
function runHolding(runs: Array<[number, number]>, r: number): number {
  let lo = 0;
  let hi = runs.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (runs[mid][0] <= r) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/**
 * The whole tensor `name` as stored bytes: the entry's payload for an ordinary tensor (string and
 * variant payloads as encoded), or for a partitioned fixed-width tensor the full tensor assembled
 * row-major from its slices. Every piece is checked against its CRC32C.
 *
 * @param source where the data shards are read
 * @param index the bundle's index
 * @param name the tensor key
 * @returns the tensor's bytes
 * @throws TensorNotFoundError when the name or a slice is missing
 */
export async function readTensor(
  source: SliceSource,
  index: BundleIndex,
  name: string | Uint8Array,
): Promise<Uint8Array> {
  const entry = index.get(name);
  if (entry && entry.slices.length === 0) return await readTensorBytes(source, index, entry);
  if (entry && dtypeElementSize(entry.dtype) === undefined) {
    throw new UnsupportedError(
      `Partitioned ${dtypeName(entry.dtype)} tensor ${displayKey(entry.key)} cannot be assembled`,
      { key: displayKey(entry.key), actual: dtypeName(entry.dtype) },
    );
  }
  return await readBox(source, index, name, fullBox(storedTensor(index, name).entry.shape));
}
