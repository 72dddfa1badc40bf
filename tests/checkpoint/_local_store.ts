/**
 * Test stores: the project's FileStore for local fixtures, an in-memory Store, and a wrapper that
 * counts requests (to check the reader's request pattern).
 *
 * @module
 */
import { NotFoundError } from "../../lib/errors.ts";
import { FileStore } from "../../lib/storage/file_store.ts";
import type {
  ByteRange,
  ObjectStat,
  ReadOptions,
  Store,
  WriteOptions,
  WritePiece,
  WriteResult,
} from "../../lib/storage/store.ts";

/** The store for local paths. */
export function localStore(): Store {
  return new FileStore();
}

/** A Store holding objects in a Map (no copy pieces across stores). */
export class MemoryStore implements Store {
  readonly objects = new Map<string, Uint8Array>();

  stat(location: string): Promise<ObjectStat | undefined> {
    const o = this.objects.get(location);
    return Promise.resolve(o ? { size: o.length, etag: `${o.length}` } : undefined);
  }
  read(location: string): Promise<Uint8Array> {
    const o = this.objects.get(location);
    if (!o) return Promise.reject(new NotFoundError(`${location} not found`, { location }));
    return Promise.resolve(o.slice());
  }
  readRange(location: string, range: ByteRange): Promise<Uint8Array> {
    const o = this.objects.get(location);
    if (!o) return Promise.reject(new NotFoundError(`${location} not found`, { location }));
    if (range.offset + range.length > o.length) {
      return Promise.reject(new RangeError(`range past the end of ${location}`));
    }
    return Promise.resolve(o.slice(range.offset, range.offset + range.length));
  }
  list(prefix: string): Promise<string[]> {
    return Promise.resolve([...this.objects.keys()].filter((k) => k.startsWith(prefix)).sort());
  }
  put(location: string, data: Uint8Array): Promise<WriteResult> {
    this.objects.set(location, data.slice());
    return Promise.resolve({ size: data.length, etag: `${data.length}` });
  }
  async write(location: string, pieces: AsyncIterable<WritePiece>): Promise<WriteResult> {
    const parts: Uint8Array[] = [];
    for await (const p of pieces) {
      if (p instanceof Uint8Array) parts.push(p);
      else parts.push(await this.readRange(p.copyFrom, p));
    }
    const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
    let pos = 0;
    for (const p of parts) {
      out.set(p, pos);
      pos += p.length;
    }
    return this.put(location, out);
  }
  delete(location: string): Promise<void> {
    this.objects.delete(location);
    return Promise.resolve();
  }
}

/** One recorded request. */
export interface Request {
  op: string;
  location: string;
  range?: ByteRange;
}

/** Wraps a store and records every call. */
export class CountingStore implements Store {
  readonly requests: Request[] = [];
  constructor(readonly inner: Store) {}
  stat(location: string, options?: ReadOptions) {
    this.requests.push({ op: "stat", location });
    return this.inner.stat(location, options);
  }
  read(location: string, options?: ReadOptions) {
    this.requests.push({ op: "read", location });
    return this.inner.read(location, options);
  }
  readRange(location: string, range: ByteRange, options?: ReadOptions) {
    this.requests.push({ op: "readRange", location, range: { ...range } });
    return this.inner.readRange(location, range, options);
  }
  list(prefix: string) {
    this.requests.push({ op: "list", location: prefix });
    return this.inner.list(prefix);
  }
  put(location: string, data: Uint8Array, options?: WriteOptions) {
    this.requests.push({ op: "put", location });
    return this.inner.put(location, data, options);
  }
  write(location: string, pieces: AsyncIterable<WritePiece>, options?: WriteOptions) {
    this.requests.push({ op: "write", location });
    return this.inner.write(location, pieces, options);
  }
  delete(location: string) {
    this.requests.push({ op: "delete", location });
    return this.inner.delete(location);
  }
}
