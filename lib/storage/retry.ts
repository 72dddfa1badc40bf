/**
 * Retry policy: exponential backoff with full jitter for transient storage faults (5xx,
 * throttling, connection resets, short bodies). `withRetries(store)` applies it to every
 * single-request operation of a Store; multipart parts use {@link retrying} per part.
 *
 * @module
 */
import { ObjectChangedError, StorageError } from "./errors.ts";
import type { Store } from "./store.ts";
import { wrapStore } from "./wrap_store.ts";

/** Retry tuning. */
export interface RetryOptions {
  /** Total attempts including the first (default 5). */
  attempts?: number;
  /** First backoff ceiling in ms (default 100); doubles per attempt. */
  baseDelayMs?: number;
  /** Backoff ceiling for throttling responses (503 / SlowDown / 429) in ms (default 1000). */
  throttleDelayMs?: number;
  /** Upper bound of any single wait in ms (default 10,000). */
  maxDelayMs?: number;
  /** Which errors are retried (default {@link isTransient}). */
  retryable?: (error: unknown) => boolean;
  /** Called before each wait; for logging/metrics. Never receives credentials. */
  onRetry?: (info: { attempt: number; delayMs: number; error: unknown; op: string }) => void;
  /** Random source in [0, 1) (default Math.random); tests may make jitter deterministic. */
  random?: () => number;
  /** Cancels waits and further attempts. */
  signal?: AbortSignal;
}

/** True for errors worth retrying at request level: retryable StorageErrors except ObjectChanged. */
export function isTransient(error: unknown): boolean {
  return error instanceof StorageError && error.retryable && !(error instanceof ObjectChangedError);
}

/** True for throttling answers (503, 429, SlowDown), which back off longer. */
export function isThrottle(error: unknown): boolean {
  return error instanceof StorageError && (error.status === 503 || error.status === 429);
}

/** Full-jitter backoff delay for 1-based `attempt` that just failed. */
export function backoffDelay(attempt: number, error: unknown, opts: RetryOptions = {}): number {
  const base = isThrottle(error) ? opts.throttleDelayMs ?? 1000 : opts.baseDelayMs ?? 100;
  const cap = Math.min(opts.maxDelayMs ?? 10_000, base * 2 ** (attempt - 1));
  return Math.floor((opts.random ?? Math.random)() * cap);
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal!.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** Runs `fn` until it succeeds, a non-retryable error occurs, or attempts run out. */
export async function retrying<T>(
  op: string,
  fn: (attempt: number) => Promise<T>,
  opts: RetryOptions = {},
): Promise<T> {
  const attempts = opts.attempts ?? 5;
  const retryable = opts.retryable ?? isTransient;
  for (let attempt = 1;; attempt++) {
    try {
      return await fn(attempt);
    } catch (error) {
      if (attempt >= attempts || !retryable(error) || opts.signal?.aborted) throw error;
      const delayMs = backoffDelay(attempt, error, opts);
      opts.onRetry?.({ attempt, delayMs, error, op });
      await sleep(delayMs, opts.signal);
    }
  }
}

/**
 * Wraps `store` so every single request retries transient faults: stat, read, readRange, list,
 * put, delete and the upload primitives (a part is re-sent whole). `write` is passed through: its
 * pieces can be consumed only once, so multipart stores retry per part instead
 * (S3StoreOptions.retry).
 *
 * @param store the store to wrap
 * @param opts retry tuning (attempts, delays, which errors)
 * @returns the retrying store
 */
export function withRetries(store: Store, opts: RetryOptions = {}): Store {
  const o = (signal?: AbortSignal): RetryOptions => signal ? { ...opts, signal } : opts;
  return wrapStore(store, {
    stat: (location, options) =>
      retrying("stat", () => store.stat(location, options), o(options?.signal)),
    read: (location, options) =>
      retrying("read", () => store.read(location, options), o(options?.signal)),
    readRange: (location, range, options) =>
      retrying("readRange", () => store.readRange(location, range, options), o(options?.signal)),
    list: (prefix) => retrying("list", () => store.list(prefix), opts),
    put: (location, data, options) =>
      retrying("put", () => store.put(location, data, options), o(options?.signal)),
    delete: (location) => retrying("delete", () => store.delete(location), opts),
    createUpload: (location, options) =>
      retrying("createUpload", () => store.createUpload(location, options), o(options?.signal)),
    uploadPart: (upload, part, options) =>
      retrying("uploadPart", () => store.uploadPart(upload, part, options), o(options?.signal)),
    completeUpload: (upload, parts, options) =>
      retrying(
        "completeUpload",
        () => store.completeUpload(upload, parts, options),
        o(options?.signal),
      ),
    abortUpload: (upload) => retrying("abortUpload", () => store.abortUpload(upload), opts),
    listUploads: (prefix) => retrying("listUploads", () => store.listUploads(prefix), opts),
    listParts: (upload) => retrying("listParts", () => store.listParts(upload), opts),
  });
}
