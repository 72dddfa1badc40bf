/**
 * The job's abort signal as a store policy: once the job is aborted (its deadline passed, a
 * newer event superseded it, the server is shutting down) every further call that moves data
 * fails at once with the signal's reason, and calls in flight get the signal (S3 requests are
 * cancelled). Cleanup is exempt, so an aborted job still tidies up: deletes, aborting and
 * listing uploads, and `fresh` reads of its bookkeeping objects (its claim, which it releases).
 *
 * @module
 */
import type { Store } from "./store.ts";
import { wrapStore } from "./wrap_store.ts";

function merged<T extends { signal?: AbortSignal; fresh?: boolean }>(
  signal: AbortSignal,
  o: T | undefined,
): T {
  if (o?.fresh) return o; // bookkeeping: cleanup needs it after an abort
  signal.throwIfAborted();
  if (o?.signal === undefined || o.signal === signal) return { ...o, signal } as T;
  return { ...o, signal: AbortSignal.any([signal, o.signal]) } as T;
}

/**
 * Wraps `store` so every call but `delete` carries `signal` (see module docs).
 *
 * @param store the store to wrap
 * @param signal the job's signal; undefined returns `store` unchanged
 * @returns the store
 */
export function withJobSignal(store: Store, signal: AbortSignal | undefined): Store {
  if (signal === undefined) return store;
  return wrapStore(store, {
    stat: async (location, o) => await store.stat(location, merged(signal, o)),
    read: async (location, o) => await store.read(location, merged(signal, o)),
    readRange: async (location, range, o) =>
      await store.readRange(location, range, merged(signal, o)),
    list: async (prefix) => {
      signal.throwIfAborted();
      return await store.list(prefix);
    },
    put: async (location, data, o) => await store.put(location, data, merged(signal, o)),
    write: async (location, pieces, o) => await store.write(location, pieces, merged(signal, o)),
    createUpload: async (location, o) => await store.createUpload(location, merged(signal, o)),
    uploadPart: async (upload, part, o) => await store.uploadPart(upload, part, merged(signal, o)),
    completeUpload: async (upload, parts, o) =>
      await store.completeUpload(upload, parts, merged(signal, o)),
  });
}
