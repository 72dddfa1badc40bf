/**
 * Storage: the one Store interface all I/O goes through, its two implementations (FileStore for
 * local paths, the embedded default; S3Store for `s3://` on @aws-sdk/client-s3) behind a router,
 * and the policies a job reads and writes through, composed in one place by {@link jobStore}.
 *
 * @example One job's view of storage
 * ```ts
 * import assert from "node:assert/strict";
 * import { defaultStore, jobStore } from "@warm-start/core/storage";
 * const store = jobStore(defaultStore()); // range reads ∘ retries ∘ pinning ∘ signal ∘ allow-list
 * const st = await store.stat("deno.json");
 * assert.ok(st !== undefined && st.size > 0);
 * ```
 *
 * @module
 */
export type {
  ByteRange,
  CompleteOptions,
  CopyPiece,
  ObjectStat,
  PartResult,
  ReadOptions,
  Store,
  Upload,
  UploadOptions,
  UploadPart,
  UploadRules,
  WriteOptions,
  WritePiece,
  WriteRequests,
  WriteResult,
} from "./store.ts";
export {
  clip,
  LocationNotAllowedError,
  NotRegularFileError,
  ObjectChangedError,
  ObjectNotFoundError,
  ObjectTooLargeError,
  PreconditionFailedError,
  StorageError,
  type StorageErrorOptions,
} from "./errors.ts";
export {
  type AllowListOptions,
  canonicalLocation,
  isAllowed,
  parseAllowList,
  withAllowList,
} from "./allow_list.ts";
export { readCapped } from "./read_capped.ts";
export { addSecret, redactSecrets } from "./redact.ts";
export { withJobSignal } from "./job_signal.ts";
export { CLEANUP_CONCURRENCY, Limiter, settleEach } from "./limiter.ts";
export {
  basenameLocation,
  dirnameLocation,
  isS3,
  joinLocation,
  type ParsedLocation,
  parseLocation,
  s3Location,
} from "./location.ts";
export { FileStore, type FileStoreOptions } from "./file_store.ts";
export { S3Store, type S3StoreOptions } from "./s3_store.ts";
export type { S3Env } from "./s3_config.ts";
export type { MultipartWriterOptions } from "./multipart_writer.ts";
export { MAX_PARTS, MIN_PART_SIZE, PartSizer, type PartSizing } from "./part_size.ts";
export { type CopyCut, type CopyStep, cutCopy } from "./part_cutter.ts";
export {
  defaultStore,
  type RoutingStore,
  routingStore,
  type RoutingStoreOptions,
} from "./router.ts";
export { wrapStore } from "./wrap_store.ts";
export { type JobStore, jobStore, type JobStoreOptions } from "./job_store.ts";
export { type RetryOptions, withRetries } from "./retry.ts";
export { type PinnedStore, type Pinning, withEtagPinning } from "./etag_pinning.ts";
export {
  type RangeReadOptions,
  type RangeReads,
  type RangeStore,
  type ReadRangesOptions,
  type RequestCounts,
  withRangeReads,
} from "./range_reads.ts";
