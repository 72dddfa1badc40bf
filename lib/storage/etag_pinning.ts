/**
 * ETag pinning: every read of a location within one job carries `If-Match` with the ETag first
 * seen for it, so an object replaced mid-job fails the job with ObjectChangedError instead of
 * mixing bytes of two versions. Create one pinned store per job.
 *
 * @module
 */
import { NotFoundError, ObjectChangedError } from "../errors.ts";
import type {
  ByteRange,
  ObjectStat,
  ReadOptions,
  Store,
  WriteOptions,
  WritePiece,
  WriteResult,
} from "./store.ts";

/** A Store whose reads are pinned to the first ETag seen per location. */
export interface PinnedStore extends Store {
  /** Pins `location` to `etag` up front (e.g. the ETag from an event record). */
  pin(location: string, etag: string): void;
  /** The ETag a location is pinned to, if any. */
  pinned(location: string): string | undefined;
}

/** Wraps `store` with per-location ETag pinning (see module docs). */
export function withEtagPinning(store: Store): PinnedStore {
  return new EtagPinningStore(store);
}

class EtagPinningStore implements PinnedStore {
  readonly #pins = new Map<string, string>();
  readonly #pending = new Map<string, Promise<string>>();

  constructor(readonly inner: Store) {}

  pin(location: string, etag: string): void {
    const have = this.#pins.get(location);
    if (have !== undefined && have !== etag) {
      throw new ObjectChangedError(
        `${location} changed during the job (ETag ${have} -> ${etag}); rerun the job`,
        {
          location,
        },
      );
    }
    this.#pins.set(location, etag);
  }

  pinned(location: string): string | undefined {
    return this.#pins.get(location);
  }

  /** The pinned ETag, fetching it with one stat on first use (concurrent callers share it). */
  #etag(location: string, signal?: AbortSignal): Promise<string> {
    const have = this.#pins.get(location);
    if (have !== undefined) return Promise.resolve(have);
    let p = this.#pending.get(location);
    if (!p) {
      p = this.inner.stat(location, { signal }).then((st) => {
        if (!st) throw new NotFoundError(`${location} does not exist`, { location });
        this.pin(location, st.etag);
        return this.#pins.get(location)!;
      }).finally(() => this.#pending.delete(location));
      this.#pending.set(location, p);
    }
    return p;
  }

  async #pinned<T>(
    location: string,
    options: ReadOptions | undefined,
    fn: (o: ReadOptions) => Promise<T>,
  ): Promise<T> {
    const etag = options?.ifMatch ?? await this.#etag(location, options?.signal);
    if (options?.ifMatch !== undefined) this.pin(location, options.ifMatch);
    try {
      return await fn({ ...options, ifMatch: etag });
    } catch (e) {
      if (e instanceof NotFoundError) {
        throw new ObjectChangedError(
          `${location} was deleted during the job (was ETag ${etag}); rerun the job`,
          {
            location,
            status: 404,
          },
        );
      }
      throw e;
    }
  }

  async stat(location: string, options?: ReadOptions): Promise<ObjectStat | undefined> {
    const st = await this.inner.stat(location, options);
    const have = this.#pins.get(location);
    if (have !== undefined && (!st || st.etag !== have)) {
      throw new ObjectChangedError(
        `${location} changed during the job (ETag ${have} -> ${
          st?.etag ?? "deleted"
        }); rerun the job`,
        { location },
      );
    }
    if (st && have === undefined) this.#pins.set(location, st.etag);
    return st;
  }
  read(location: string, options?: ReadOptions): Promise<Uint8Array> {
    return this.#pinned(location, options, (o) => this.inner.read(location, o));
  }
  readRange(location: string, range: ByteRange, options?: ReadOptions): Promise<Uint8Array> {
    if (range.length === 0) return Promise.resolve(new Uint8Array(0));
    return this.#pinned(location, options, (o) => this.inner.readRange(location, range, o));
  }
  list(prefix: string): Promise<string[]> {
    return this.inner.list(prefix);
  }
  put(location: string, data: Uint8Array, options?: WriteOptions): Promise<WriteResult> {
    return this.inner.put(location, data, options);
  }
  /** Copy pieces are pinned too (their ETag goes to x-amz-copy-source-if-match). */
  async write(
    location: string,
    pieces: AsyncIterable<WritePiece>,
    options?: WriteOptions,
  ): Promise<WriteResult> {
    const etagOf = (loc: string) => this.#etag(loc, options?.signal);
    async function* pinnedPieces(): AsyncIterable<WritePiece> {
      for await (const p of pieces) {
        if (p instanceof Uint8Array || p.length === 0) yield p;
        else yield { ...p, ifMatch: p.ifMatch ?? await etagOf(p.copyFrom) };
      }
    }
    return await this.inner.write(location, pinnedPieces(), options);
  }
  delete(location: string): Promise<void> {
    return this.inner.delete(location);
  }
}
