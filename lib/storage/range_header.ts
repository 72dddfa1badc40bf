/**
 * HTTP byte-range arithmetic for S3 `Range`, `x-amz-copy-source-range` and `Content-Range`.
 * Offsets are plain numbers, exact up to 2^53, so objects far beyond 4 GiB are fine.
 *
 * @module
 */
import type { ByteRange } from "./store.ts";

/** Largest offset we accept: every integer up to here is exact in a double. */
const MAX_OFFSET = Number.MAX_SAFE_INTEGER;

/** Throws a TypeError unless `range` is a non-negative integer range below 2^53. */
export function checkRange(range: ByteRange): void {
  const { offset, length } = range;
  if (!Number.isSafeInteger(offset) || offset < 0) {
    throw new TypeError(`Invalid range offset ${offset}: must be a non-negative integer`);
  }
  if (!Number.isSafeInteger(length) || length < 0) {
    throw new TypeError(`Invalid range length ${length}: must be a non-negative integer`);
  }
  if (offset + length > MAX_OFFSET) {
    throw new TypeError(`Invalid range ${offset}+${length}: ends beyond 2^53`);
  }
}

/**
 * `bytes=first-last` (inclusive) for a non-empty range, as used by `Range` and
 * `x-amz-copy-source-range`. A zero-length range has no header form and throws.
 */
export function formatRangeHeader(range: ByteRange): string {
  checkRange(range);
  if (range.length === 0) throw new TypeError("A zero-length range has no HTTP Range form");
  return `bytes=${range.offset}-${range.offset + range.length - 1}`;
}

/** A parsed `Content-Range: bytes first-last/total` header (`total` undefined for `*`). */
export interface ContentRange {
  /** First byte served. */
  offset: number;
  /** Bytes served. */
  length: number;
  /** Full object size, when the server states it. */
  total?: number;
}

/** Parses `bytes first-last/total` or `bytes first-last/*`; undefined if the header is malformed. */
export function parseContentRange(header: string | undefined | null): ContentRange | undefined {
  if (!header) return undefined;
  const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(header.trim());
  if (!m) return undefined;
  const first = Number(m[1]);
  const last = Number(m[2]);
  const total = m[3] === "*" ? undefined : Number(m[3]);
  if (!Number.isSafeInteger(first) || !Number.isSafeInteger(last) || last < first) return undefined;
  if (total !== undefined && !Number.isSafeInteger(total)) return undefined;
  return { offset: first, length: last - first + 1, total };
}
