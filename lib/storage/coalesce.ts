/**
 * Range coalescing: neighbouring byte ranges are merged into fewer, larger requests (S3 does not
 * serve multi-range GETs). Pure data; see range_reader.ts for the I/O.
 *
 * @module
 */
import type { ByteRange } from "./store.ts";

/** Options for {@link coalesceRanges}. */
export interface CoalesceOptions {
  /** Merge two ranges when the hole between them is at most this many bytes. */
  maxGap: number;
  /** Never merge into a request longer than this (a single longer range stays alone). */
  maxRequest: number;
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
 */
export function coalesceRanges(
  ranges: readonly ByteRange[],
  opts: CoalesceOptions,
): CoalescedRequest[] {
  const order = ranges
    .map((_r, i) => i)
    .filter((i) => ranges[i].length > 0)
    .sort((a, b) => ranges[a].offset - ranges[b].offset || ranges[a].length - ranges[b].length);
  const out: CoalescedRequest[] = [];
  let cur: CoalescedRequest | undefined;
  for (const i of order) {
    const r = ranges[i];
    const end = r.offset + r.length;
    if (cur) {
      const curEnd = cur.offset + cur.length;
      const newEnd = Math.max(curEnd, end);
      if (r.offset <= curEnd + opts.maxGap && newEnd - cur.offset <= opts.maxRequest) {
        cur.length = newEnd - cur.offset;
        cur.members.push(i);
        continue;
      }
    }
    cur = { offset: r.offset, length: r.length, members: [i] };
    out.push(cur);
  }
  return out;
}

/** Splits `range` into consecutive chunks of at most `chunk` bytes. */
export function splitRange(range: ByteRange, chunk: number): ByteRange[] {
  const out: ByteRange[] = [];
  for (let done = 0; done < range.length; done += chunk) {
    out.push({ offset: range.offset + done, length: Math.min(chunk, range.length - done) });
  }
  return out;
}
