/**
 * Typed errors shared by every layer. HTTP status codes and exit codes are chosen in main.ts /
 * lib/function from the class, never from message text.
 *
 * @module
 */

/** Details attached to a checkpoint error: where it happened and what was expected. */
export interface ErrorDetails {
  /** File or object location (local path or s3:// URL). */
  location?: string;
  /** Tensor key or variable name. */
  key?: string;
  /** Byte offset in the file, when known. */
  offset?: number;
  /** What the reader expected. */
  expected?: string | number;
  /** What it found. */
  actual?: string | number;
}

/** Base of the family: anything wrong with a checkpoint's bytes or layout. */
export class CheckpointError extends Error {
  /** Machine-readable tag, e.g. "corrupt", "not_found", "unsupported". */
  readonly code: string;
  readonly location?: string;
  readonly key?: string;
  readonly offset?: number;
  readonly expected?: string | number;
  readonly actual?: string | number;

  constructor(code: string, message: string, details: ErrorDetails = {}) {
    super(message);
    this.name = "CheckpointError";
    this.code = code;
    this.location = details.location;
    this.key = details.key;
    this.offset = details.offset;
    this.expected = details.expected;
    this.actual = details.actual;
  }
}

/** Bytes that do not match the format: bad magic, checksum mismatch, truncation, bad sizes. */
export class CorruptCheckpointError extends CheckpointError {
  constructor(message: string, details: ErrorDetails = {}) {
    super("corrupt", message, details);
    this.name = "CorruptCheckpointError";
  }
}

/** A file, object, key or tensor that should exist does not. */
export class NotFoundError extends CheckpointError {
  constructor(message: string, details: ErrorDetails = {}) {
    super("not_found", message, details);
    this.name = "NotFoundError";
  }
}

/** Valid input this implementation does not support (e.g. big-endian bundles). */
export class UnsupportedError extends CheckpointError {
  constructor(message: string, details: ErrorDetails = {}) {
    super("unsupported", message, details);
    this.name = "UnsupportedError";
  }
}

/**
 * Invalid job spec or warm-start settings: the cases where TensorFlow raises ValueError
 * (or fails when initialisers run). CLI exit 2, HTTP 400/422. Nothing is written.
 */
export class SettingsError extends Error {
  /** JSON-path-like field name the problem is about, when there is one. */
  readonly field?: string;
  /** "spec" for a malformed request (HTTP 400), "warm_start" for TF's ValueError cases (422). */
  readonly kind: "spec" | "warm_start";

  constructor(message: string, options: { field?: string; kind?: "spec" | "warm_start" } = {}) {
    super(message);
    this.name = "SettingsError";
    this.field = options.field;
    this.kind = options.kind ?? "warm_start";
  }
}

/** A storage operation failed (network, 5xx, throttling, precondition). */
export class StorageError extends Error {
  /** Whether retrying the whole job later may succeed. */
  readonly retryable: boolean;
  /** Location the operation was about. Never contains credentials. */
  readonly location?: string;
  /** HTTP status from the server, when there was one. */
  readonly status?: number;

  constructor(
    message: string,
    options: { retryable?: boolean; location?: string; status?: number; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "StorageError";
    this.retryable = options.retryable ?? false;
    this.location = options.location;
    this.status = options.status;
  }
}

/** A create-only write found the object already there (HTTP 412 from S3). */
export class PreconditionFailedError extends StorageError {
  constructor(message: string, options: { location?: string; status?: number } = {}) {
    super(message, { ...options, retryable: false });
    this.name = "PreconditionFailedError";
  }
}

/** An object changed (different ETag) while a job was reading it. */
export class ObjectChangedError extends StorageError {
  constructor(message: string, options: { location?: string; status?: number } = {}) {
    super(message, { ...options, retryable: true });
    this.name = "ObjectChangedError";
  }
}
