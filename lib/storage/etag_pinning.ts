/**
 * ETag pinning: every read of a location within one job carries `If-Match` with the ETag first
 * seen for it, so an object replaced mid-job fails the job with ObjectChangedError instead of
 * mixing bytes of two versions. Copy pieces of writes are pinned the same way
 * (`x-amz-copy-source-if-match`). A whole-object read must also have the size seen at the pin.
 * A location the job writes or deletes itself is unpinned: its new version is the job's own; a
 * read with `fresh: true` (bookkeeping objects other runs rewrite) is never pinned.
 * Create one pinned store per job.
 *
 * @module
 */
import { ObjectChangedError, ObjectNotFoundError, StorageError } from "./errors.ts";
import type { ObjectStat, ReadOptions, Store, WritePiece } from "./store.ts";
import { wrapStore } from "./wrap_store.ts";

/** What a pinning policy adds to a Store. */
export interface Pinning {
  /** Pins `location` to `etag` up front (e.g. the ETag from an event record). */
  pin(location: string, etag: string): void;
  /** The ETag a location is pinned to, if any. */
  pinned(location: string): string | undefined;
}

/** A Store whose reads are pinned to the first ETag seen per location. */
export type PinnedStore = Store & Pinning;

function changed(location: string, from: string, to: string): ObjectChangedError {
  return new ObjectChangedError(
    `${location} changed during the job (ETag ${from} -> ${to}); rerun the job`,
    { location },
  );
}

/**
 * Wraps `store` with per-location ETag pinning (see module docs).
 *
 * @param store the store to wrap
 * @returns the pinned store; `pin`/`pinned` inspect and preset pins
 */
export function withEtagPinning(store: Store): PinnedStore {
  const pins = new Map<string, ObjectStat | { etag: string; size?: undefined }>();
  const pending = new Map<string, Promise<ObjectStat>>();

  const pin = (location: string, etag: string) => {
    const have = pins.get(location);
    if (have !== undefined && have.etag !== etag) throw changed(location, have.etag, etag);
    if (have === undefined) pins.set(location, { etag });
  };

  /** The pinned version, fetched with one stat on first use (concurrent callers share it). */
  const version = (location: string, signal?: AbortSignal) => {
    const have = pins.get(location);
    if (have?.size !== undefined) return Promise.resolve(have as ObjectStat);
    let p = pending.get(location);
    if (!p) {
      p = store.stat(location, { signal }).then((st) => {
        if (!st) throw new ObjectNotFoundError(`${location} does not exist`, { location });
        pin(location, st.etag);
        pins.set(location, st);
        return st;
      }).finally(() => pending.delete(location));
      pending.set(location, p);
    }
    return p;
  };

  async function pinned<T>(
    location: string,
    options: ReadOptions | undefined,
    fn: (o: ReadOptions) => Promise<T>,
  ): Promise<T> {
    if (options?.ifMatch !== undefined) pin(location, options.ifMatch);
    const { etag } = await version(location, options?.signal);
    try {
      return await fn({ ...options, ifMatch: etag });
    } catch (e) {
      if (e instanceof ObjectNotFoundError) {
        throw new ObjectChangedError(
          `${location} was deleted during the job (was ETag ${etag}); rerun the job`,
          { location, status: 404 },
        );
      }
      throw e;
    }
  }

  return wrapStore(store, {
    pin,
    pinned: (location: string) => pins.get(location)?.etag,
    async stat(location, options) {
      if (options?.fresh) return await store.stat(location, options);
      const st = await store.stat(location, options);
      const have = pins.get(location);
      if (have !== undefined && (!st || st.etag !== have.etag)) {
        throw changed(location, have.etag, st?.etag ?? "deleted");
      }
      if (st && have?.size === undefined) pins.set(location, st);
      return st;
    },
    async read(location, options) {
      if (options?.fresh) return await store.read(location, options);
      const bytes = await pinned(location, options, (o) => store.read(location, o));
      const size = pins.get(location)?.size;
      if (size !== undefined && bytes.length !== size) {
        // A body cut short with a matching Content-Length (a broken middlebox) is a transport
        // fault, never data: retry it, never parse it.
        throw new StorageError(
          `Short read of ${location}: ${bytes.length} of ${size} bytes`,
          { location, retryable: true },
        );
      }
      return bytes;
    },
    readRange(location, range, options) {
      if (range.length === 0) return Promise.resolve(new Uint8Array(0));
      if (options?.fresh) return store.readRange(location, range, options);
      return pinned(location, options, (o) => store.readRange(location, range, o));
    },
    async put(location, data, options) {
      pins.delete(location);
      const result = await store.put(location, data, options);
      pins.delete(location);
      return result;
    },
    async delete(location) {
      pins.delete(location);
      await store.delete(location);
      pins.delete(location);
    },
    async uploadPart(upload, part, options) {
      if (part.body instanceof Uint8Array || part.body.length === 0) {
        return await store.uploadPart(upload, part, options);
      }
      const { etag } = await version(part.body.copyFrom, options?.signal);
      if (part.body.ifMatch !== undefined && part.body.ifMatch !== etag) {
        throw changed(part.body.copyFrom, etag, part.body.ifMatch);
      }
      return await store.uploadPart(
        upload,
        { ...part, body: { ...part.body, ifMatch: etag } },
        options,
      );
    },
    async completeUpload(upload, parts, options) {
      pins.delete(upload.location);
      const result = await store.completeUpload(upload, parts, options);
      pins.delete(upload.location);
      return result;
    },
    async write(location, pieces, options) {
      async function* pinnedPieces(): AsyncIterable<WritePiece> {
        for await (const p of pieces) {
          if (p instanceof Uint8Array || p.length === 0) yield p;
          else {
            const { etag } = await version(p.copyFrom, options?.signal);
            if (p.ifMatch !== undefined && p.ifMatch !== etag) {
              throw changed(p.copyFrom, etag, p.ifMatch);
            }
            yield { ...p, ifMatch: etag };
          }
        }
      }
      pins.delete(location);
      const result = await store.write(location, pinnedPieces(), options);
      pins.delete(location);
      return result;
    },
  });
}
