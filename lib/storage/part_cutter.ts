/**
 * The one rule for cutting a copyable range into an upload's parts, shared by the multipart
 * writer (multipart_writer.ts, deciding as pieces stream by) and a split job's part table
 * (warmstart/part_table.ts, deciding from lengths alone) — so a task writes exactly the parts the
 * one-process writer would have written.
 *
 * A range shorter than the minimum copy size is streamed. In equal-part mode a range is copied
 * on the part grid: the part being filled is completed with the range's first bytes (unless the
 * range would not fill one more part), whole parts are copied, the tail is streamed. Otherwise a
 * part already at the minimum part size is closed; a shorter one is topped up to the minimum
 * with the range's first bytes and closed (unless the rest would be shorter than the minimum copy
 * size: then the whole range is streamed); the rest is copied in parts of at most the largest
 * copy part, cut evenly.
 *
 * @module
 */

/** One step of cutting a range: in order, each takes the range's next bytes. */
export type CopyStep =
  /** Stream `length` bytes of the range into the part being filled (closing it when full). */
  | { kind: "stream"; length: number }
  /** Close the part being filled now, if it holds any bytes. */
  | { kind: "flush" }
  /** One server-side copy part of the range's next `length` bytes. */
  | { kind: "copy"; length: number };

/** The sizes a cut depends on. */
export interface CopyCut {
  /** Every part but the last has one size (`partSize`). */
  equalParts: boolean;
  /** Size of the part being filled (the part sizer's, for its number). */
  partSize: number;
  /** Smallest part except the last. */
  minPartSize: number;
  /** Smallest range copied server-side (at least `minPartSize`). */
  minCopySize: number;
  /** Largest copy part. */
  maxCopyPartSize: number;
  /** Bytes already in the part being filled. */
  pending: number;
}

/**
 * The steps that write a copyable range of `length` bytes (see module docs).
 *
 * @param length bytes of the range
 * @param c the sizes
 * @returns the steps, in order; their lengths add up to `length`
 */
export function cutCopy(length: number, c: CopyCut): CopyStep[] {
  if (length < c.minCopySize) return [{ kind: "stream", length }];
  const steps: CopyStep[] = [];
  let len = length;
  if (c.equalParts) {
    const p = c.partSize;
    if (c.pending > 0) {
      const k = p - c.pending;
      if (len - k < p) return [{ kind: "stream", length }];
      steps.push({ kind: "stream", length: k });
      len -= k;
    }
    for (; len >= p; len -= p) steps.push({ kind: "copy", length: p });
    if (len > 0) steps.push({ kind: "stream", length: len });
    return steps;
  }
  let pending = c.pending;
  if (pending >= c.minPartSize) {
    steps.push({ kind: "flush" });
    pending = 0;
  }
  if (pending > 0) {
    const k = c.minPartSize - pending;
    if (len - k < c.minCopySize) return [...steps, { kind: "stream", length: len }];
    steps.push({ kind: "stream", length: k }, { kind: "flush" });
    len -= k;
  }
  const n = Math.ceil(len / c.maxCopyPartSize);
  for (let i = 0; i < n; i++) {
    const chunk = i < n - 1 ? Math.floor(len / n) : len - Math.floor(len / n) * (n - 1);
    steps.push({ kind: "copy", length: chunk });
  }
  return steps;
}
