/**
 * The one store-policy stack every storage call of a job goes through, built here and nowhere
 * else: range reads (coalescing, splitting, one concurrency limit) over retries (transient
 * faults, with backoff) over ETag pinning (an input replaced mid-job fails the job) over the
 * base store (files, S3, or both through the router).
 *
 * @module
 */
import { type Pinning, withEtagPinning } from "./etag_pinning.ts";
import { type RangeReadOptions, type RangeStore, withRangeReads } from "./range_reads.ts";
import { type RetryOptions, withRetries } from "./retry.ts";
import type { Store } from "./store.ts";

/** Options of {@link jobStore}; every default is documented where the option is defined. */
export interface JobStoreOptions {
  /** Retry policy of single requests, or false to fail on the first fault (tests). */
  retries?: RetryOptions | false;
  /** Coalescing gap, request size and concurrency of reads. */
  rangeReads?: RangeReadOptions;
}

/** The store a job reads and writes through: batched range reads and ETag pins. */
export type JobStore = RangeStore & Pinning;

/**
 * Builds the policy stack of one job over `base` (see module docs). Create one per job: its
 * pins and request counts belong to that job.
 *
 * @param base the store holding the job's locations
 * @param options retries and range-read tuning
 * @returns the job's store
 *
 * @example One job's view of the local files
 * ```ts
 * import assert from "node:assert/strict";
 * import { FileStore, jobStore } from "@warm-start/core/storage";
 * const store = jobStore(new FileStore());
 * const [head] = await store.readRanges("deno.json", [{ offset: 0, length: 1 }]);
 * assert.ok(new TextDecoder().decode(head) === "{");
 * assert.ok(store.pinned("deno.json") !== undefined);
 * ```
 */
export function jobStore(base: Store, options: JobStoreOptions = {}): JobStore {
  const pinned = withEtagPinning(base);
  const retried = options.retries === false ? pinned : withRetries(pinned, options.retries);
  const ranged = withRangeReads(retried, options.rangeReads);
  return { ...ranged, pin: pinned.pin, pinned: pinned.pinned };
}
