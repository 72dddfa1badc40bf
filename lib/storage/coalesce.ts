/**
 * Range coalescing: neighbouring byte ranges are merged into fewer, larger requests (S3 does not
 * serve multi-range GETs). Gaps are bridged smallest first, each at most `maxGap` bytes, and in
 * all at most `maxWaste` times the useful bytes, so a batch reads at most (1 + maxWaste) × what
 * it needs however its ranges are scattered; no request grows past `maxRequest`. Pure data; see
 * range_reads.ts for the I/O.
 *
 * @module
 */
import type { ByteRange } from "./store.ts";

/** Options for {@link coalesceRanges}. */
export interface CoalesceOptions {
  /** Bridge the hole between two ranges only when it is at most this many bytes. */
  maxGap: number;
  /** Never merge into a request longer than this (a single longer range stays alone). */
  maxRequest: number;
  /** Bridged (unneeded) bytes allowed per needed byte, over the whole batch (default: no limit). */
  maxWaste?: number;
}

/** One request covering one or more of the input ranges. */
export interface CoalescedRequest {
  /** First byte of the request. */
  offset: number;
  /** Request length in bytes. */
  length: number;
  /** Indexes into the input array of the ranges this request serves. */
  members: number[];
}

/**
 * Groups `ranges` (any order, overlaps allowed, zero-length ignored) into requests sorted by
 * offset. Every non-empty input range is fully inside exactly one request.
 *
 * @param ranges the wanted ranges
 * @param opts gap, request size and waste limits
 * @returns the requests, by offset
 */
export function coalesceRanges(
  ranges: readonly ByteRange[],
  opts: CoalesceOptions,
): CoalescedRequest[] {
  const order = ranges
    .map((_r, i) => i)
    .filter((i) => ranges[i].length > 0)
    .sort((a, b) => ranges[a].offset - ranges[b].offset || ranges[a].length - ranges[b].length);
  // Runs: overlapping or touching ranges, which cost nothing to join.
  const runs: CoalescedRequest[] = [];
  let useful = 0;
  for (const i of order) {
    const r = ranges[i];
    const last = runs[runs.length - 1];
    const end = r.offset + r.length;
    if (last && r.offset <= last.offset + last.length) {
      const grown = Math.max(last.offset + last.length, end) - last.offset;
      useful += grown - last.length;
      last.length = grown;
      last.members.push(i);
      continue;
    }
    useful += r.length;
    runs.push({ offset: r.offset, length: r.length, members: [i] });
  }
  // Which gaps to bridge: smallest first, within the per-gap and the total waste budget.
  const bridge = new Uint8Array(Math.max(0, runs.length - 1));
  let budget = opts.maxWaste === undefined ? Infinity : opts.maxWaste * useful;
  const gaps = Array.from({ length: bridge.length }, (_, i) => i)
    .map((i) => ({ i, bytes: runs[i + 1].offset - (runs[i].offset + runs[i].length) }))
    .filter((g) => g.bytes <= opts.maxGap)
    .sort((a, b) => a.bytes - b.bytes);
  for (const g of gaps) {
    if (g.bytes > budget) break;
    budget -= g.bytes;
    bridge[g.i] = 1;
  }
  const out: CoalescedRequest[] = [];
  for (let k = 0; k < runs.length; k++) {
    const run = runs[k];
    const cur = out[out.length - 1];
    if (cur && bridge[k - 1] && run.offset + run.length - cur.offset <= opts.maxRequest) {
      cur.length = run.offset + run.length - cur.offset;
      cur.members.push(...run.members);
    } else {
      out.push({ offset: run.offset, length: run.length, members: [...run.members] });
    }
  }
  return out;
}

/**
 * Splits `range` into consecutive chunks of at most `chunk` bytes.
 *
 * @param range the range to split
 * @param chunk the largest chunk
 * @returns the chunks, in order
 */
export function splitRange(range: ByteRange, chunk: number): ByteRange[] {
  const out: ByteRange[] = [];
  for (let done = 0; done < range.length; done += chunk) {
    out.push({ offset: range.offset + done, length: Math.min(chunk, range.length - done) });
  }
  return out;
}
