/**
 * The geometry of a remap pass (plan.ts {@link RemapPass}), pure: OLD is cut into windows of
 * rows, every member's output rows into buckets; a section is what one window holds for one
 * bucket. A window's spill is its sections in order (member, bucket), each section the window's
 * rows of that bucket in output order, so a bucket is rebuilt from one range of every window's
 * spill. Everything here is computed from the plan alone — a window pass (map) and a bucket pass
 * (reduce) need nothing else to agree on offsets.
 *
 * @module
 */
import type { RemapPass } from "./plan.ts";

/** Section sizes and offsets of a pass. */
export interface PassLayout {
  /** Number of windows. */
  windows: number;
  /** Number of sections per window (the buckets of all members). */
  sections: number;
  /** Index of the first section of each member. */
  firstSection: number[];
  /** Rows of window w in section s, at `w * sections + s`. */
  rows: Int32Array;
  /** Byte offset of section s in window w's spill, at `w * sections + s`. */
  offsets: Float64Array;
  /** Bytes of each window's spill. */
  spillBytes: Float64Array;
}

/** The window holding OLD row `j`. */
export function windowOf(pass: RemapPass, j: number): number {
  return Math.floor((j - pass.oldStart) / pass.windowRows);
}

/** OLD rows [start, start + count) of window `w`. */
export function windowRows(pass: RemapPass, w: number): { start: number; count: number } {
  const start = pass.oldStart + w * pass.windowRows;
  return { start, count: Math.min(pass.windowRows, pass.oldEnd - start) };
}

/** Number of buckets of member `m`. */
export function bucketCount(pass: RemapPass, m: number): number {
  return Math.max(1, Math.ceil(pass.members[m].length / pass.bucketRows));
}

/** Layouts computed, by pass (a split job's tasks construct a runner each, over one plan). */
const layouts = new WeakMap<RemapPass, PassLayout>();

/** Computes the layout (one scan of every row map; once per pass object). */
export function passLayout(pass: RemapPass): PassLayout {
  let layout = layouts.get(pass);
  if (!layout) layouts.set(pass, layout = computeLayout(pass));
  return layout;
}

function computeLayout(pass: RemapPass): PassLayout {
  const windows = Math.ceil((pass.oldEnd - pass.oldStart) / pass.windowRows);
  const firstSection: number[] = [];
  let sections = 0;
  for (let m = 0; m < pass.members.length; m++) {
    firstSection.push(sections);
    sections += bucketCount(pass, m);
  }
  const rows = new Int32Array(windows * sections);
  pass.members.forEach((rowMap, m) => {
    for (let i = 0; i < rowMap.length; i++) {
      const j = rowMap[i];
      if (j < 0) continue;
      const s = firstSection[m] + Math.floor(i / pass.bucketRows);
      rows[windowOf(pass, j) * sections + s]++;
    }
  });
  const offsets = new Float64Array(windows * sections);
  const spillBytes = new Float64Array(windows);
  for (let w = 0; w < windows; w++) {
    let at = 0;
    for (let s = 0; s < sections; s++) {
      offsets[w * sections + s] = at;
      at += rows[w * sections + s] * pass.rowBytes;
    }
    spillBytes[w] = at;
  }
  return { windows, sections, firstSection, rows, offsets, spillBytes };
}

/**
 * The needed rows of windows [w0, w1), each as its row within its window, grouped by window and
 * within a window in section order (a counting sort of all members' rows, one pass): what the
 * window pass gathers. Two bytes per row when windows have at most 65,536 rows.
 */
export interface WindowOrder {
  /** First window. */
  w0: number;
  /** Rows of window w are `rows[start[w - w0], start[w - w0 + 1])`. */
  start: Float64Array;
  rows: Uint16Array | Int32Array;
}

/** Bytes per row of a {@link WindowOrder}. */
export function orderBytes(pass: RemapPass): number {
  return pass.windowRows <= 65536 ? 2 : 4;
}

/**
 * Computes the {@link WindowOrder} of windows [w0, w1), its rows in `into` when given (bytes,
 * 4-aligned, at least {@link orderBytes} per row).
 */
export function windowOrder(
  pass: RemapPass,
  layout: PassLayout,
  w0: number,
  w1: number,
  into?: Uint8Array,
): WindowOrder {
  const start = new Float64Array(w1 - w0 + 1);
  for (let w = w0; w < w1; w++) {
    start[w - w0 + 1] = start[w - w0] + layout.spillBytes[w] / pass.rowBytes;
  }
  const count = start[w1 - w0];
  const wide = orderBytes(pass) === 4;
  const bytes = into && into.length >= count * (wide ? 4 : 2) ? into : undefined;
  const rows = wide
    ? (bytes ? new Int32Array(bytes.buffer, bytes.byteOffset, count) : new Int32Array(count))
    : (bytes ? new Uint16Array(bytes.buffer, bytes.byteOffset, count) : new Uint16Array(count));
  const at = start.slice(0, w1 - w0);
  const lo = pass.oldStart + w0 * pass.windowRows;
  const hi = Math.min(pass.oldEnd, pass.oldStart + w1 * pass.windowRows);
  for (const rowMap of pass.members) {
    for (let i = 0; i < rowMap.length; i++) {
      const j = rowMap[i];
      if (j < lo || j >= hi) continue; // other windows, and backup rows (-1)
      const d = j - pass.oldStart;
      const w = Math.floor(d / pass.windowRows);
      rows[at[w - w0]++] = d - w * pass.windowRows;
    }
  }
  return { w0, start, rows };
}

/**
 * Window `w`'s spill: its rows of every bucket, section after section, from `band` (the window's
 * OLD rows, row-major); into `into` (a view of it is returned) when given and large enough.
 */
export function gatherWindow(
  pass: RemapPass,
  layout: PassLayout,
  order: WindowOrder,
  w: number,
  band: Uint8Array,
  into?: Uint8Array,
): Uint8Array {
  const bytes = layout.spillBytes[w];
  const out = into && into.length >= bytes ? into.subarray(0, bytes) : new Uint8Array(bytes);
  const rows = order.rows.subarray(order.start[w - order.w0], order.start[w - order.w0 + 1]);
  const copy = rowCopier(pass.rowBytes, band, out);
  for (let k = 0; k < rows.length; k++) copy(rows[k], k);
  return out;
}

/**
 * A copier of whole rows `rowBytes` wide from `from` to `to` by row number, bit-exact: a native
 * `copyWithin` when both are views of one buffer (the job memory, job_memory.ts: no view per
 * row), else a loop of 32-bit integer words, else one subarray copy per row. Never through float
 * views: a Float64Array copy may quiet a signalling-NaN pattern (V8 set bit 51 when hot), and
 * int64s or float32 NaN payloads would not survive it. A row number past either buffer is a
 * RangeError (a copy within one buffer would otherwise land in a neighbour).
 */
export function rowCopier(
  rowBytes: number,
  from: Uint8Array,
  to: Uint8Array,
): (src: number, dst: number) => void {
  const fromRows = Math.floor(from.length / rowBytes);
  const toRows = Math.floor(to.length / rowBytes);
  const check = (src: number, dst: number) => {
    if (!(src >= 0 && src < fromRows && dst >= 0 && dst < toRows)) {
      throw new RangeError(`row copy ${src} → ${dst} outside ${fromRows} → ${toRows} rows`);
    }
  };
  if (from.buffer === to.buffer) {
    const all = new Uint8Array(from.buffer);
    const f0 = from.byteOffset;
    const t0 = to.byteOffset;
    return (src, dst) => {
      check(src, dst);
      const s = f0 + src * rowBytes;
      all.copyWithin(t0 + dst * rowBytes, s, s + rowBytes);
    };
  }
  if (rowBytes % 4 === 0 && from.byteOffset % 4 === 0 && to.byteOffset % 4 === 0) {
    const a = new Int32Array(from.buffer, from.byteOffset, fromRows * (rowBytes / 4));
    const b = new Int32Array(to.buffer, to.byteOffset, toRows * (rowBytes / 4));
    const n = rowBytes / 4;
    return (src, dst) => {
      check(src, dst);
      const s = src * n;
      const d = dst * n;
      for (let x = 0; x < n; x++) b[d + x] = a[s + x];
    };
  }
  return (src, dst) => {
    check(src, dst);
    to.set(from.subarray(src * rowBytes, src * rowBytes + rowBytes), dst * rowBytes);
  };
}

/** Where each output row of a bucket is in its sections: window (-1: backup) and row. */
export interface BucketIndex {
  /** First output row of the bucket (member coordinates). */
  start: number;
  /** Output rows. */
  count: number;
  /** Per output row: the window whose section holds it, or -1 for a backup row. */
  window: Int32Array;
  /** Per output row: its row number within that section. */
  row: Int32Array;
}

/**
 * The index of bucket `k` of member `m` (its two arrays in `into` when given: 2 × bucketRows
 * ints).
 */
export function bucketIndex(pass: RemapPass, m: number, k: number, into?: Int32Array): BucketIndex {
  const rowMap = pass.members[m];
  const start = k * pass.bucketRows;
  const count = Math.min(pass.bucketRows, rowMap.length - start);
  const window = into ? into.subarray(0, count) : new Int32Array(count);
  const row = into
    ? into.subarray(pass.bucketRows, pass.bucketRows + count)
    : new Int32Array(count);
  const cursor = new Int32Array(Math.ceil((pass.oldEnd - pass.oldStart) / pass.windowRows));
  for (let i = 0; i < count; i++) {
    const j = rowMap[start + i];
    if (j < 0) {
      window[i] = -1;
      continue;
    }
    const w = windowOf(pass, j);
    window[i] = w;
    row[i] = cursor[w]++;
  }
  return { start, count, window, row };
}
