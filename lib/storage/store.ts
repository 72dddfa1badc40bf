/**
 * The one interface all I/O goes through. Locations are local paths, `file://` URLs or
 * `s3://bucket/key` URLs; a store only has to understand the ones it is given (see router.ts).
 * Policies (coalescing, retries, ETag pinning, concurrency) are wrappers around a Store.
 *
 * Besides whole-object writes, a Store exposes uploads: an object written in numbered parts
 * (possibly by different processes) that stays invisible until it is completed — an S3
 * multipart upload, or a hidden temp file beside a local target. Staged writes, crash cleanup
 * (listUploads) and distributed tasks build on them.
 *
 * @module
 */

/** Size and version of an object. */
export interface ObjectStat {
  /** Size in bytes. */
  size: number;
  /** Opaque version tag (S3 ETag; for files: size+mtime). */
  etag: string;
}

/** A byte range; `offset` and `length` are plain numbers (safe up to 2^53). */
export interface ByteRange {
  /** First byte, 0-based. */
  offset: number;
  /** Number of bytes. */
  length: number;
}

/** Options for reads. */
export interface ReadOptions {
  /** Fail with ObjectChangedError unless the object's ETag is this one. */
  ifMatch?: string;
  /**
   * Read the current version, never an ETag pin: for a job's own bookkeeping objects (claims,
   * markers, state files), which other runs may rewrite while the job runs.
   */
  fresh?: boolean;
  /** Abort the read. */
  signal?: AbortSignal;
  /**
   * readRange: a buffer of at least the range's length the store may read into (the result is
   * then a view of it) instead of allocating one — so a caller can reuse its buffers. Stores
   * that cannot return their own; callers use the returned bytes either way.
   */
  into?: Uint8Array;
}

/**
 * A piece of an object being written: literal bytes, or a byte range of another object. A store
 * is done with a piece when it asks for the next one (it copies what it keeps longer), so a
 * producer may reuse a buffer it yielded once the next piece is pulled.
 */
export type WritePiece = Uint8Array | CopyPiece;

/** A byte range of an existing object; S3 copies it server-side when it is large enough. */
export interface CopyPiece {
  /** Location of the source object. */
  copyFrom: string;
  /** First byte of the source range. */
  offset: number;
  /** Number of bytes to copy. */
  length: number;
  /** ETag the source must still have (x-amz-copy-source-if-match). */
  ifMatch?: string;
}

/** Options for writes. */
export interface WriteOptions {
  /** Create-only: fail with PreconditionFailedError if the object exists (If-None-Match: *). */
  ifNoneMatch?: boolean;
  /** Content-Type of the new object. */
  contentType?: string;
  /** Abort the write; a multipart upload is aborted and nothing becomes visible. */
  signal?: AbortSignal;
  /** Expected total size of a streamed write; lets S3 pick a part size that fits 10,000 parts. */
  sizeHint?: number;
  /**
   * Staged write (`write` only): everything is written but the object is not completed; the
   * result's `staged` upload is published later with completeUpload (or discarded with
   * abortUpload), so several objects can become visible together, after checks.
   */
  defer?: boolean;
  /** Scratch data that need not survive a crash (a job's spill): FileStore skips the fsync. */
  temporary?: boolean;
}

/** What a finished write produced. */
export interface WriteResult {
  /** Bytes written. */
  size: number;
  /** ETag of the new object (S3: as the server returned it, quoted); "" while staged. */
  etag: string;
  /** For a deferred write: the open upload and its parts, to complete or abort. */
  staged?: { upload: Upload; parts: PartResult[] };
  /** Requests a multipart write issued (absent: one request, or a local file). */
  requests?: WriteRequests;
}

/** An upload in progress: invisible at its location until completed. */
export interface Upload {
  /** Where the object appears when the upload completes. */
  location: string;
  /** The store's id of the upload (S3 UploadId; for files, the temp file's id). */
  uploadId: string;
  /** When it was started (ms since the epoch), when the store knows. */
  initiated?: number;
}

/** One part of an upload. */
export interface UploadPart {
  /** 1-based part number (S3 orders the object by it). */
  partNumber: number;
  /** First byte of the part in the finished object (files write there). */
  offset: number;
  /** Literal bytes, or a range of another object (copied server-side when the store can). */
  body: Uint8Array | CopyPiece;
}

/** A written part, as completing the upload needs it. */
export interface PartResult {
  /** 1-based part number. */
  partNumber: number;
  /** First byte of the part in the object. */
  offset: number;
  /** Bytes in the part. */
  size: number;
  /** ETag the server gave the part. */
  etag: string;
  /** Base64 CRC32C of the part, when checksums are on. */
  checksumCRC32C?: string;
}

/**
 * The part rules of a store's uploads: parts of `partSize` (at least `minPartSize`, except the
 * last; all equal in `equalParts` mode), copy parts of at most `maxCopyPartSize`, at most
 * 10,000 parts (storage/part_size.ts).
 */
export interface UploadRules {
  /** Smallest part except the last (S3: 5 MiB; files: 1 byte). */
  minPartSize: number;
  /** Preferred part size of streamed bytes. */
  partSize: number;
  /** Every part except the last has one size (Cloudflare R2). */
  equalParts: boolean;
  /** Smallest verbatim range copied server-side (at least `minPartSize`). */
  minCopySize: number;
  /** Largest copy part. */
  maxCopyPartSize: number;
}

/** Options of {@link Store.createUpload}. */
export interface UploadOptions {
  /** Content-Type of the new object. */
  contentType?: string;
  /** Aborts the request. */
  signal?: AbortSignal;
}

/** Options of {@link Store.completeUpload}. */
export interface CompleteOptions {
  /** Create-only: fail with PreconditionFailedError if the object exists. */
  ifNoneMatch?: boolean;
  /** Aborts the request. */
  signal?: AbortSignal;
}

/** The requests of one multipart write. */
export interface WriteRequests {
  /** UploadPart requests (bytes sent). */
  parts: number;
  /** UploadPartCopy requests (bytes copied server-side). */
  copyParts: number;
  /** Range reads of copy sources streamed through the writer (too small to copy). */
  sourceReads: number;
}

/** All I/O of the function goes through this. */
export interface Store {
  /** Size and ETag, or undefined when the object does not exist. */
  stat(location: string, options?: ReadOptions): Promise<ObjectStat | undefined>;
  /** The whole object. Throws NotFoundError when missing. */
  read(location: string, options?: ReadOptions): Promise<Uint8Array>;
  /**
   * Exactly `range.length` bytes at `range.offset`. A range past the end throws
   * CorruptCheckpointError-free StorageError/NotFoundError; a zero-length range returns empty bytes.
   */
  readRange(location: string, range: ByteRange, options?: ReadOptions): Promise<Uint8Array>;
  /** Locations of all objects whose location starts with `prefix`, sorted. */
  list(prefix: string): Promise<string[]>;
  /** One small object in a single request (index, state file, markers). Atomic. */
  put(location: string, data: Uint8Array, options?: WriteOptions): Promise<WriteResult>;
  /**
   * Stream pieces into one object (multipart on S3, temp file + rename locally). The object is
   * visible only once complete; on any failure nothing is left behind.
   */
  write(
    location: string,
    pieces: AsyncIterable<WritePiece>,
    options?: WriteOptions,
  ): Promise<WriteResult>;
  /** Delete an object; deleting a missing object is not an error. */
  delete(location: string): Promise<void>;
  /** Starts an upload that becomes `location` only when completed. */
  createUpload(location: string, options?: UploadOptions): Promise<Upload>;
  /** Writes one part of an upload; writing a part again replaces it. */
  uploadPart(
    upload: Upload,
    part: UploadPart,
    options?: { signal?: AbortSignal },
  ): Promise<PartResult>;
  /**
   * Publishes the upload from `parts` (any order; numbers consecutive from 1, offsets contiguous
   * from 0). The object appears atomically.
   */
  completeUpload(
    upload: Upload,
    parts: PartResult[],
    options?: CompleteOptions,
  ): Promise<WriteResult>;
  /** Discards an upload and its parts; aborting a finished or unknown upload is not an error. */
  abortUpload(upload: Upload): Promise<void>;
  /** Uploads in progress whose location starts with `prefix`. */
  listUploads(prefix: string): Promise<Upload[]>;
  /**
   * The parts written so far of an open upload (S3 ListParts), by part number; undefined when
   * the store does not keep parts apart (a local temp file written in place). Throws when the
   * upload is gone.
   */
  listParts(upload: Upload): Promise<PartResult[] | undefined>;
  /** How an upload to `location` must be cut into parts (no I/O). */
  uploadRules(location: string): UploadRules;
  /** True when a CopyPiece from `source` into an upload to `target` never passes through here. */
  copiesServerSide(source: string, target: string): boolean;
}
