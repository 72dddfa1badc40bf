/**
 * Byte spans of a rectangular block of a stored tensor (a partition of a NEW variable read out of
 * OLD's full tensor, whatever OLD's own partitioning).
 *
 * @module
 */
import type { BundleIndex } from "../checkpoint/bundle_index.ts";
import { type ByteSpan, locateRows } from "../checkpoint/row_locator.ts";

/**
 * Spans that, concatenated, are the row-major bytes of `tensor[offset : offset + shape]`.
 *
 * @param fullShape the stored tensor's shape
 * @param elementSize bytes per element (fixed-width dtypes only)
 */
export function locateBlock(
  index: BundleIndex,
  key: string,
  fullShape: number[],
  offset: number[],
  shape: number[],
  elementSize: number,
): ByteSpan[] {
  if (fullShape.length === 0) return locateRows(index, key, 0, 1);
  const innerFull = fullShape.slice(1).every((d, i) => offset[i + 1] === 0 && shape[i + 1] === d);
  if (innerFull) return locateRows(index, key, offset[0], shape[0]);
  // A block narrower than full rows: cut each row's spans to the block's column runs.
  const rowRuns = innerRuns(fullShape.slice(1), offset.slice(1), shape.slice(1), elementSize);
  const spans: ByteSpan[] = [];
  for (let r = offset[0]; r < offset[0] + shape[0]; r++) {
    const row = locateRows(index, key, r, 1);
    for (const [start, length] of rowRuns) appendSpans(spans, cutSpans(row, start, length));
  }
  return spans;
}

/** Byte runs [start, length] inside one row (dims 1..n) selected by a block. */
export function innerRuns(
  dims: number[],
  offset: number[],
  shape: number[],
  size: number,
): number[][] {
  if (dims.length === 0) return [[0, size]];
  const innerSize = dims.slice(1).reduce((a, b) => a * b, 1) * size;
  const inner = innerRuns(dims.slice(1), offset.slice(1), shape.slice(1), size);
  const wholeInner = inner.length === 1 && inner[0][0] === 0 && inner[0][1] === innerSize;
  if (wholeInner) return [[offset[0] * innerSize, shape[0] * innerSize]];
  const runs: number[][] = [];
  for (let i = offset[0]; i < offset[0] + shape[0]; i++) {
    for (const [s, l] of inner) runs.push([i * innerSize + s, l]);
  }
  return runs;
}

/** The sub-spans covering bytes [start, start+length) of the concatenation of `spans`. */
function cutSpans(spans: ByteSpan[], start: number, length: number): ByteSpan[] {
  const out: ByteSpan[] = [];
  let pos = 0;
  for (const span of spans) {
    const from = Math.max(start, pos);
    const to = Math.min(start + length, pos + span.length);
    if (from < to) {
      out.push({ shardId: span.shardId, offset: span.offset + from - pos, length: to - from });
    }
    pos += span.length;
  }
  return out;
}

/** Appends spans, merging with the previous one when contiguous in the same shard. */
export function appendSpans(target: ByteSpan[], spans: ByteSpan[]): void {
  for (const s of spans) {
    const last = target[target.length - 1];
    if (last && last.shardId === s.shardId && last.offset + last.length === s.offset) {
      last.length += s.length;
    } else {
      target.push({ ...s });
    }
  }
}
