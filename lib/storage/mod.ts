/**
 * The storage layer's public surface. Typical use:
 *
 * ```ts
 * import { defaultStore, RangeReader, withEtagPinning, withRetries } from "../storage/mod.ts";
 * const job = withEtagPinning(withRetries(defaultStore()));   // one pinned view per job
 * const reader = new RangeReader(job, { maxGap: 1 << 20 });    // coalesced, bounded reads
 * await job.write("s3://bucket/out/model.data", pieces, { ifNoneMatch: true, sizeHint });
 * ```
 *
 * @module
 */
export type {
  ByteRange,
  CopyPiece,
  ObjectStat,
  ReadOptions,
  Store,
  WriteOptions,
  WritePiece,
  WriteResult,
} from "./store.ts";
export * from "./location.ts";
export { FileStore, type FileStoreOptions } from "./file_store.ts";
export { S3Store, type S3StoreOptions } from "./s3_store.ts";
export { s3ConfigFromEnv, type S3Env } from "./s3_config.ts";
export { defaultStore, RoutingStore, type RoutingStoreOptions, storeFor } from "./router.ts";
export { backoffDelay, isTransient, retrying, type RetryOptions, withRetries } from "./retry.ts";
export { type PinnedStore, withEtagPinning } from "./etag_pinning.ts";
export { RangeReader, type RangeReaderOptions } from "./range_reader.ts";
export { type CoalescedRequest, type CoalesceOptions, coalesceRanges } from "./coalesce.ts";
export {
  DEFAULT_PART_SIZE,
  MAX_PART_SIZE,
  MAX_PARTS,
  MIN_PART_SIZE,
  PartSizer,
  type PartSizing,
} from "./part_size.ts";
export { type ContentRange, formatRangeHeader, parseContentRange } from "./range_header.ts";
export type { MultipartWriterOptions, PartResult } from "./multipart_writer.ts";
