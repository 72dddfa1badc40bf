/**
 * The one store-policy stack every storage call of a job goes through, built here and nowhere
 * else: range reads (coalescing, splitting, one concurrency limit) over retries (transient
 * faults, with backoff) over ETag pinning (an input replaced mid-job fails the job) over the
 * job's abort signal (deadline, shutdown) over the allow-list (every location of every call,
 * pinning's own stats included) over the base store (files, S3, or both through the router).
 *
 * @module
 */
import { withAllowList } from "./allow_list.ts";
import { type Pinning, withEtagPinning } from "./etag_pinning.ts";
import { withJobSignal } from "./job_signal.ts";
import { type RangeReadOptions, type RangeStore, withRangeReads } from "./range_reads.ts";
import { type RetryOptions, withRetries } from "./retry.ts";
import type { Store } from "./store.ts";

/** Options of {@link jobStore}; every default is documented where the option is defined. */
export interface JobStoreOptions {
  /** Retry policy of single requests, or false to fail on the first fault (tests). */
  retries?: RetryOptions | false;
  /** Coalescing gap, request size and concurrency of reads. */
  rangeReads?: RangeReadOptions;
  /**
   * Canonical allowed prefixes (allow_list.ts `parseAllowList`, i.e. WARM_START_ALLOWED); every
   * location of every call must lie under one. Undefined allows every location.
   */
  allowed?: readonly string[];
  /** The job's signal: once aborted, every call but deletes fails (job_signal.ts). */
  signal?: AbortSignal;
}

/** The store a job reads and writes through: batched range reads and ETag pins. */
export type JobStore = RangeStore & Pinning;

/**
 * Builds the policy stack of one job over `base` (see module docs). Create one per job: its
 * pins and request counts belong to that job.
 *
 * @param base the store holding the job's locations
 * @param options retries, range-read tuning, allow-list and abort signal
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
  const checked = withJobSignal(withAllowList(base, options.allowed), options.signal);
  const pinned = withEtagPinning(checked);
  const retried = options.retries === false ? pinned : withRetries(pinned, options.retries);
  const ranged = withRangeReads(retried, options.rangeReads);
  return { ...ranged, pin: pinned.pin, pinned: pinned.pinned };
}
