/**
 * The one interface all I/O goes through. Locations are local paths, `file://` URLs or
 * `s3://bucket/key` URLs; a store only has to understand the ones it is given (see router.ts).
 * Policies (coalescing, retries, ETag pinning, concurrency) are wrappers around a Store.
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
  /** Abort the read. */
  signal?: AbortSignal;
}

/** A piece of an object being written: literal bytes, or a byte range of another object. */
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
}

/** What a finished write produced. */
export interface WriteResult {
  /** Bytes written. */
  size: number;
  /** ETag of the new object (S3: as the server returned it, quoted). */
  etag: string;
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
}
