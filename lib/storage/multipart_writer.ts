/**
 * The multipart writer: turns an async stream of pieces (bytes, or ranges of existing objects)
 * into the parts of one multipart upload.
 *
 * - Bytes are copied into part buffers (PartSizer), so a producer may reuse a yielded buffer
 *   once the next piece is pulled (store.ts WritePiece).
 * - A copy range of at least `minCopySize` becomes UploadPartCopy part(s). A small buffer pending
 *   in front of it is topped up to the minimum part size with the range's first bytes (read, not
 *   copied); in equal-part mode copy parts are cut on the part grid the same way. Small ranges, or
 *   all ranges when server-side copy is off, are streamed through the buffer.
 * - Memory is bounded by (concurrency + 1) × part size: the iterator is not pulled while
 *   `concurrency` parts are in flight.
 * - Nothing is uploaded as multipart unless needed: an object smaller than one part is one PUT.
 * - On any failure every in-flight part is first allowed to settle, then the upload is aborted.
 * - Staged (`stageMultipart`): the parts are written but the upload is not completed, so the
 *   object stays invisible until the caller commits it (or aborts it).
 *
 * The target is a Store's upload primitives ({@link uploadTarget}), so the same writer serves
 * S3 multipart uploads and local temp files.
 *
 * @module
 */
import { StorageError } from "./errors.ts";
import { MAX_PART_SIZE, MAX_PARTS, PartSizer, type PartSizing } from "./part_size.ts";
import { cutCopy } from "./part_cutter.ts";
import { checkRange } from "./range_header.ts";
import { retrying, type RetryOptions } from "./retry.ts";
import type {
  CopyPiece,
  PartResult,
  Store,
  Upload,
  UploadPart,
  WriteOptions,
  WritePiece,
  WriteRequests,
  WriteResult,
} from "./store.ts";

/** The operations of one upload (see {@link uploadTarget}). */
export interface MultipartTarget {
  /** Whole object in one request, used when it fits in one part and nothing was copied. */
  putObject(body: Uint8Array): Promise<WriteResult>;
  /** Starts the upload. */
  create(): Promise<void>;
  /** Writes one part: bytes, or a range of another object copied server-side. */
  uploadPart(part: UploadPart): Promise<PartResult>;
  /** Publishes the object from `parts` (sorted by part number). */
  complete(parts: PartResult[], size: number): Promise<WriteResult>;
  /** Aborts the upload (called only after every part settled). */
  abort(): Promise<void>;
  /** Whether `piece` can be copied server-side into this upload. */
  canCopy(piece: CopyPiece): boolean;
  /** Reads bytes of a copy source, for ranges that are streamed instead of copied. */
  readSource(piece: CopyPiece, offset: number, length: number): Promise<Uint8Array>;
  /** The upload, once created. */
  readonly upload: Upload | undefined;
}

/** How {@link uploadTarget} reaches a store. */
export interface UploadTargetOptions {
  /** Retry each request (a store below a retry policy needs none). */
  retry?: RetryOptions;
  /** The store that reads copy sources that are streamed (default: `store`). */
  sourceReader?: (location: string) => Pick<Store, "readRange"> | undefined;
}

/**
 * One upload to `location` through `store`'s upload primitives.
 *
 * @param store the store holding `location`
 * @param location the object to write
 * @param w write options (content type, create-only, abort signal)
 * @param o retries and the copy-source reader
 * @returns the target for {@link writeMultipart} / {@link stageMultipart}
 */
export function uploadTarget(
  store: Store,
  location: string,
  w: WriteOptions,
  o: UploadTargetOptions = {},
): MultipartTarget {
  let upload: Upload | undefined;
  const run = <T>(op: string, fn: () => Promise<T>): Promise<T> =>
    o.retry ? retrying(op, fn, { ...o.retry, ...(w.signal ? { signal: w.signal } : {}) }) : fn();
  const signal = w.signal ? { signal: w.signal } : {};
  return {
    get upload() {
      return upload;
    },
    putObject: (body) => run("PutObject", () => store.put(location, body, w)),
    async create() {
      upload = await run("CreateMultipartUpload", () =>
        store.createUpload(location, {
          ...(w.contentType ? { contentType: w.contentType } : {}),
          ...signal,
        }));
    },
    uploadPart: (part) =>
      run(`UploadPart ${part.partNumber}`, () => store.uploadPart(upload!, part, signal)),
    complete: (parts) =>
      run("CompleteMultipartUpload", () =>
        store.completeUpload(upload!, parts, {
          ...(w.ifNoneMatch ? { ifNoneMatch: true } : {}),
          ...signal,
        })),
    async abort() {
      if (upload) await run("AbortMultipartUpload", () => store.abortUpload(upload!));
    },
    canCopy: (piece) => store.copiesServerSide(piece.copyFrom, location),
    readSource(piece, offset, length) {
      const src = o.sourceReader ? o.sourceReader(piece.copyFrom) : store;
      if (!src) {
        throw new StorageError(`No reader for copy source ${piece.copyFrom}`, {
          location: piece.copyFrom,
        });
      }
      return run("readSource", () =>
        src.readRange(piece.copyFrom, { offset, length }, {
          ...(piece.ifMatch ? { ifMatch: piece.ifMatch } : {}),
          ...signal,
        }));
    },
  };
}

/** Tuning of {@link writeMultipart}. */
export interface MultipartWriterOptions extends PartSizing {
  /** Parts in flight at once (default 4). */
  concurrency?: number;
  /** Use UploadPartCopy for large copy ranges (default true; false for GCS). */
  serverSideCopy?: boolean;
  /** Smallest copy range sent as UploadPartCopy (default: the minimum part size). */
  minCopySize?: number;
  /** Largest single copy part (default 5 GiB). */
  maxCopyPartSize?: number;
  /** Aborts the write; the upload is aborted once in-flight parts settle. */
  signal?: AbortSignal;
}

/**
 * Writes `pieces` through `target` and completes the object (see module docs).
 *
 * @param target the upload
 * @param pieces bytes and copy pieces, in object order
 * @param options part sizing, concurrency, copies, abort signal
 * @returns the written object
 */
export async function writeMultipart(
  target: MultipartTarget,
  pieces: AsyncIterable<WritePiece>,
  options: MultipartWriterOptions = {},
): Promise<WriteResult> {
  return await new Writer(target, options).run(pieces);
}

/** The parts of an upload written but not completed. */
export interface StagedParts {
  /** The upload. */
  upload: Upload;
  /** Its parts, by number. */
  parts: PartResult[];
  /** Bytes in all. */
  size: number;
  /** The requests it took. */
  requests: WriteRequests;
}

/**
 * Writes `pieces` as the parts of an upload and leaves it open: the object stays invisible until
 * the caller completes the upload (store.completeUpload) or aborts it. On failure the upload is
 * aborted.
 *
 * @param target the upload
 * @param pieces bytes and copy pieces, in object order
 * @param options part sizing, concurrency, copies, abort signal
 * @returns the upload and its parts
 */
export async function stageMultipart(
  target: MultipartTarget,
  pieces: AsyncIterable<WritePiece>,
  options: MultipartWriterOptions = {},
): Promise<StagedParts> {
  return await new Writer(target, options, true).stage(pieces);
}

class Writer {
  readonly sizer: PartSizer;
  readonly concurrency: number;
  readonly minPart: number;
  readonly minCopy: number;
  readonly maxCopyPart: number;
  buf: Uint8Array | undefined;
  filled = 0;
  nextPart = 1;
  size = 0;
  started = false;
  readonly parts: PartResult[] = [];
  readonly requests = { parts: 0, copyParts: 0, sourceReads: 0 };
  /** Part buffers whose uploads are done, reused (memory stays (concurrency + 1) × part). */
  readonly free: Uint8Array[] = [];
  readonly inflight = new Set<Promise<void>>();
  failed: { error: unknown } | undefined;

  constructor(
    readonly target: MultipartTarget,
    readonly o: MultipartWriterOptions,
    readonly staged = false,
  ) {
    this.sizer = new PartSizer(o);
    this.concurrency = o.concurrency ?? 4;
    this.minPart = this.sizer.minPartSize;
    this.minCopy = Math.max(o.minCopySize ?? this.minPart, this.minPart);
    this.maxCopyPart = Math.min(o.maxCopyPartSize ?? MAX_PART_SIZE, MAX_PART_SIZE);
  }

  async stage(pieces: AsyncIterable<WritePiece>): Promise<StagedParts> {
    try {
      await this.consume(pieces);
      if (!this.started || this.filled > 0) await this.flush();
      await Promise.all(this.inflight);
      this.check();
      this.parts.sort((a, b) => a.partNumber - b.partNumber);
      return {
        upload: this.target.upload!,
        parts: this.parts,
        size: this.size,
        requests: this.requests,
      };
    } catch (error) {
      throw await this.fail(error);
    }
  }

  async consume(pieces: AsyncIterable<WritePiece>): Promise<void> {
    for await (const piece of pieces) {
      this.check();
      if (piece instanceof Uint8Array) await this.addBytes(piece);
      else await this.addCopy(piece);
    }
    this.check();
  }

  /** Lets in-flight parts settle, aborts the upload, and picks the error to report. */
  async fail(error: unknown): Promise<unknown> {
    await Promise.allSettled(this.inflight);
    if (this.started) await this.target.abort().catch(() => {});
    // An abort wins over the part errors it caused; otherwise the first part error is the cause.
    if (this.o.signal?.aborted) return this.o.signal.reason;
    return this.failed ? this.failed.error : error;
  }

  async run(pieces: AsyncIterable<WritePiece>): Promise<WriteResult> {
    try {
      await this.consume(pieces);
      if (!this.started) {
        const body = this.buf ? this.buf.subarray(0, this.filled) : new Uint8Array(0);
        return await this.target.putObject(body);
      }
      if (this.filled > 0) await this.flush();
      await Promise.all(this.inflight);
      this.check();
      this.parts.sort((a, b) => a.partNumber - b.partNumber);
      return { ...await this.target.complete(this.parts, this.size), requests: this.requests };
    } catch (error) {
      throw await this.fail(error);
    }
  }

  check(): void {
    if (this.failed) throw this.failed.error;
    this.o.signal?.throwIfAborted();
  }

  partSize(): number {
    return this.sizer.sizeFor(this.nextPart);
  }

  async addBytes(bytes: Uint8Array): Promise<void> {
    let off = 0;
    while (off < bytes.length) {
      const p = this.partSize();
      if (this.filled === 0 && bytes.length - off >= p) {
        const part = this.buffer(p);
        part.set(bytes.subarray(off, off + p)); // a copy: the producer may reuse its bytes
        await this.emitBytes(part, part);
        off += p;
        continue;
      }
      if (!this.buf || this.buf.length < p) {
        const grown = this.buffer(p);
        if (this.buf) grown.set(this.buf.subarray(0, this.filled));
        this.buf = grown;
      }
      const n = Math.min(p - this.filled, bytes.length - off);
      this.buf.set(bytes.subarray(off, off + n), this.filled);
      this.filled += n;
      off += n;
      if (this.filled === p) await this.flush();
    }
  }

  async flush(): Promise<void> {
    const buf = this.buf;
    const body = buf ? buf.subarray(0, this.filled) : new Uint8Array(0);
    this.buf = undefined;
    this.filled = 0;
    await this.emitBytes(body, buf);
  }

  /** A part buffer of at least `size` bytes: one whose upload is done, or a new one. */
  buffer(size: number): Uint8Array {
    const i = this.free.findIndex((b) => b.length >= size);
    if (i < 0) return new Uint8Array(size);
    const [b] = this.free.splice(i, 1);
    return b.subarray(0, size);
  }

  async addCopy(piece: CopyPiece): Promise<void> {
    checkRange(piece);
    if (piece.length === 0) return;
    if (this.o.serverSideCopy === false || !this.target.canCopy(piece)) {
      return await this.stream(piece, piece.offset, piece.length);
    }
    // The one cutting rule (part_cutter.ts), shared with split jobs' part tables.
    let off = piece.offset;
    for (
      const step of cutCopy(piece.length, {
        equalParts: this.sizer.equalParts,
        partSize: this.partSize(),
        minPartSize: this.minPart,
        minCopySize: this.minCopy,
        maxCopyPartSize: this.maxCopyPart,
        pending: this.filled,
      })
    ) {
      if (step.kind === "flush") {
        if (this.filled > 0) await this.flush();
        continue;
      }
      if (step.kind === "stream") await this.stream(piece, off, step.length);
      else await this.emitCopy(piece, off, step.length);
      off += step.length;
    }
  }

  /** Reads a copy range and feeds it through the buffer, one part's worth at a time. */
  async stream(piece: CopyPiece, off: number, len: number): Promise<void> {
    while (len > 0) {
      this.check();
      const n = Math.min(len, this.partSize() - this.filled);
      this.requests.sourceReads++;
      const bytes = await this.target.readSource(piece, off, n);
      if (bytes.length !== n) {
        throw new StorageError(`Short read of ${piece.copyFrom}: ${bytes.length} of ${n} bytes`, {
          location: piece.copyFrom,
          retryable: true,
        });
      }
      await this.addBytes(bytes);
      off += n;
      len -= n;
    }
  }

  /** Uploads `body`; `buffer` (holding it) is reused for a later part once the upload is done. */
  emitBytes(body: Uint8Array, buffer?: Uint8Array): Promise<void> {
    const at = this.size;
    this.size += body.length;
    this.requests.parts++;
    return this.emit((n) =>
      this.target.uploadPart({ partNumber: n, offset: at, body }).finally(() => {
        if (buffer && this.free.length <= this.concurrency) this.free.push(buffer);
      })
    );
  }

  emitCopy(piece: CopyPiece, offset: number, length: number): Promise<void> {
    const at = this.size;
    this.size += length;
    this.requests.copyParts++;
    return this.emit((n) =>
      this.target.uploadPart({ partNumber: n, offset: at, body: { ...piece, offset, length } })
    );
  }

  async emit(job: (partNumber: number) => Promise<PartResult>): Promise<void> {
    this.check();
    if (!this.started) {
      await this.target.create();
      this.started = true;
    }
    const n = this.nextPart++;
    if (n > MAX_PARTS) {
      throw new StorageError(
        `Upload needs more than ${MAX_PARTS} parts; pass a sizeHint or a larger partSize`,
        { retryable: false },
      );
    }
    while (this.inflight.size >= this.concurrency) {
      await Promise.race(this.inflight);
      this.check();
    }
    const task: Promise<void> = job(n).then(
      (r) => {
        this.parts.push(r);
      },
      (error) => {
        this.failed ??= { error };
      },
    ).finally(() => this.inflight.delete(task));
    this.inflight.add(task);
  }
}
