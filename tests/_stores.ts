/**
 * The test stores, in one place: the project's FileStore for local fixtures, an in-memory base
 * Store, and a recording policy (built with wrapStore like every store policy) that lists each
 * call, to check request patterns.
 *
 * @module
 */
import {
  type ByteRange,
  type CompleteOptions,
  FileStore,
  ObjectNotFoundError,
  type ObjectStat,
  type PartResult,
  PreconditionFailedError,
  StorageError,
  type Store,
  type Upload,
  type UploadPart,
  type UploadRules,
  wrapStore,
  type WriteOptions,
  type WritePiece,
  type WriteResult,
} from "../lib/storage/mod.ts";

/** The store for local paths. */
export function localStore(): Store {
  return new FileStore();
}

/** A Store holding objects in a Map (no copy pieces across stores). */
export class MemoryStore implements Store {
  readonly objects = new Map<string, Uint8Array>();
  readonly uploads = new Map<string, { location: string; parts: Map<number, Uint8Array> }>();

  stat(location: string): Promise<ObjectStat | undefined> {
    const o = this.objects.get(location);
    return Promise.resolve(o ? { size: o.length, etag: `${o.length}` } : undefined);
  }
  read(location: string): Promise<Uint8Array> {
    const o = this.objects.get(location);
    if (!o) return Promise.reject(new ObjectNotFoundError(`${location} not found`, { location }));
    return Promise.resolve(o.slice());
  }
  readRange(location: string, range: ByteRange): Promise<Uint8Array> {
    const o = this.objects.get(location);
    if (!o) return Promise.reject(new ObjectNotFoundError(`${location} not found`, { location }));
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
  async write(
    location: string,
    pieces: AsyncIterable<WritePiece>,
    options?: WriteOptions,
  ): Promise<WriteResult> {
    const parts: Uint8Array[] = [];
    for await (const p of pieces) {
      if (p instanceof Uint8Array) parts.push(p.slice()); // kept past the next pull: copied
      else parts.push(await this.readRange(p.copyFrom, p));
    }
    const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
    let pos = 0;
    for (const p of parts) {
      out.set(p, pos);
      pos += p.length;
    }
    if (options?.defer) {
      const upload = await this.createUpload(location);
      const part = await this.uploadPart(upload, { partNumber: 1, offset: 0, body: out });
      return { size: out.length, etag: "", staged: { upload, parts: [part] } };
    }
    if (options?.ifNoneMatch && this.objects.has(location)) throw this.#exists(location);
    return this.put(location, out);
  }
  #exists(location: string): PreconditionFailedError {
    return new PreconditionFailedError(`${location} already exists`, { location });
  }
  createUpload(location: string): Promise<Upload> {
    const uploadId = crypto.randomUUID();
    this.uploads.set(uploadId, { location, parts: new Map() });
    return Promise.resolve({ location, uploadId });
  }
  async uploadPart(upload: Upload, part: UploadPart): Promise<PartResult> {
    const u = this.uploads.get(upload.uploadId);
    if (!u) throw new StorageError(`no upload ${upload.uploadId}`, { retryable: true });
    const bytes = part.body instanceof Uint8Array
      ? part.body.slice()
      : await this.readRange(part.body.copyFrom, part.body);
    u.parts.set(part.partNumber, bytes);
    return { partNumber: part.partNumber, offset: part.offset, size: bytes.length, etag: "p" };
  }
  completeUpload(upload: Upload, parts: PartResult[], options?: CompleteOptions) {
    const u = this.uploads.get(upload.uploadId);
    if (!u) return Promise.reject(new StorageError(`no upload ${upload.uploadId}`));
    if (options?.ifNoneMatch && this.objects.has(u.location)) {
      return Promise.reject(this.#exists(u.location));
    }
    const sorted = [...parts].sort((a, b) => a.partNumber - b.partNumber);
    const bodies = sorted.map((p) => u.parts.get(p.partNumber)!);
    const out = new Uint8Array(bodies.reduce((n, b) => n + b.length, 0));
    let at = 0;
    for (const b of bodies) {
      out.set(b, at);
      at += b.length;
    }
    this.uploads.delete(upload.uploadId);
    return this.put(u.location, out);
  }
  abortUpload(upload: Upload): Promise<void> {
    this.uploads.delete(upload.uploadId);
    return Promise.resolve();
  }
  listUploads(prefix: string): Promise<Upload[]> {
    return Promise.resolve(
      [...this.uploads].filter(([, u]) => u.location.startsWith(prefix))
        .map(([uploadId, u]) => ({ location: u.location, uploadId })),
    );
  }
  listParts(upload: Upload): Promise<PartResult[] | undefined> {
    const u = this.uploads.get(upload.uploadId);
    if (!u) return Promise.reject(new StorageError(`no upload ${upload.uploadId}`));
    let at = 0;
    return Promise.resolve(
      [...u.parts].sort(([a], [b]) => a - b).map(([partNumber, body]) => {
        const p = { partNumber, offset: at, size: body.length, etag: `${partNumber}` };
        at += body.length;
        return p;
      }),
    );
  }
  uploadRules(): UploadRules {
    return {
      minPartSize: 1,
      partSize: 8 << 20,
      equalParts: false,
      minCopySize: Number.MAX_SAFE_INTEGER,
      maxCopyPartSize: 5 << 30,
    };
  }
  copiesServerSide(): boolean {
    return false;
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

/** A store that records every call it forwards to `inner`. */
export type RecordingStore = Store & { readonly requests: Request[] };

/**
 * Wraps `inner` and records every call.
 *
 * @param inner the store to forward to
 * @param hook runs before each call (e.g. to replace a file after its first read)
 * @returns the recording store
 */
export function recordingStore(
  inner: Store,
  hook: (request: Request) => void | Promise<void> = () => {},
): RecordingStore {
  const requests: Request[] = [];
  const note = async (request: Request) => {
    requests.push(request);
    await hook(request);
  };
  return wrapStore(inner, {
    requests,
    async stat(location, options) {
      await note({ op: "stat", location });
      return inner.stat(location, options);
    },
    async read(location, options) {
      await note({ op: "read", location });
      return inner.read(location, options);
    },
    async readRange(location, range, options) {
      await note({ op: "readRange", location, range: { ...range } });
      return inner.readRange(location, range, options);
    },
    async list(prefix) {
      await note({ op: "list", location: prefix });
      return inner.list(prefix);
    },
    async put(location, data, options) {
      await note({ op: "put", location });
      return inner.put(location, data, options);
    },
    async write(location, pieces, options) {
      await note({ op: "write", location });
      return inner.write(location, pieces, options);
    },
    async delete(location) {
      await note({ op: "delete", location });
      return inner.delete(location);
    },
  });
}

/** Counts calls in flight: `peak` is the most that ran at once through {@link ConcurrencyProbe.run}. */
export interface ConcurrencyProbe {
  readonly peak: number;
  /** Runs `fn` counted, after `delayMs` in flight (so calls overlap). */
  run<T>(fn: () => Promise<T>, delayMs?: number): Promise<T>;
}

/** A new {@link ConcurrencyProbe}. */
export function concurrencyProbe(): ConcurrencyProbe {
  let active = 0;
  let peak = 0;
  return {
    get peak() {
      return peak;
    },
    async run(fn, delayMs = 2) {
      active++;
      peak = Math.max(peak, active);
      try {
        await new Promise((r) => setTimeout(r, delayMs));
        return await fn();
      } finally {
        active--;
      }
    },
  };
}
