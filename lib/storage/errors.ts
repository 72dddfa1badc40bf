/**
 * Errors of the storage layer: a request failed, an object is missing, a conditional request
 * was refused. Each class has a stable `code`; how an error becomes an HTTP status, an exit code
 * or an event status is decided in one table (lib/function/outcome.ts), never here.
 *
 * @module
 */

/** Options of {@link StorageError}. */
export interface StorageErrorOptions {
  /** Whether retrying (the request, or the whole job later) may succeed. */
  retryable?: boolean;
  /** Location the operation was about. Never contains credentials. */
  location?: string;
  /** HTTP status from the server, when there was one. */
  status?: number;
  /** The server's request id (S3 `x-amz-request-id`), for support tickets. */
  requestId?: string;
  /** The underlying error (never an SDK error that could carry credentials). */
  cause?: unknown;
}

/** A storage operation failed (network, 5xx, throttling, access denied, bad range). */
export class StorageError extends Error {
  /** Stable machine-readable tag of the class. */
  readonly code: string = "storage_error";
  /** Whether retrying may succeed. */
  readonly retryable: boolean;
  /** Location the operation was about. */
  readonly location?: string;
  /** HTTP status from the server, when there was one. */
  readonly status?: number;
  /** The server's request id, when there was one. */
  readonly requestId?: string;

  /**
   * Creates the error.
   *
   * @param message what failed and what to do
   * @param options retryability, location, status, request id, cause
   */
  constructor(message: string, options: StorageErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "StorageError";
    this.retryable = options.retryable ?? false;
    if (options.location !== undefined) this.location = options.location;
    if (options.status !== undefined) this.status = options.status;
    if (options.requestId !== undefined) this.requestId = options.requestId;
  }
}

/** The object (file, key or bucket) does not exist. */
export class ObjectNotFoundError extends StorageError {
  /** Stable machine-readable tag of the class. */
  override readonly code: string = "object_not_found";

  /**
   * Creates the error.
   *
   * @param message what is missing
   * @param options location (and status)
   */
  constructor(message: string, options: Omit<StorageErrorOptions, "retryable"> = {}) {
    super(message, { status: 404, ...options, retryable: false });
    this.name = "ObjectNotFoundError";
  }
}

/** A create-only write found the object already there (HTTP 412 from S3). */
export class PreconditionFailedError extends StorageError {
  /** Stable machine-readable tag of the class. */
  override readonly code: string = "precondition_failed";

  /**
   * Creates the error.
   *
   * @param message which write was refused
   * @param options location (and status)
   */
  constructor(message: string, options: Omit<StorageErrorOptions, "retryable"> = {}) {
    super(message, { status: 412, ...options, retryable: false });
    this.name = "PreconditionFailedError";
  }
}

/** An object changed (different ETag) or vanished while a job was reading it. */
export class ObjectChangedError extends StorageError {
  /** Stable machine-readable tag of the class. */
  override readonly code: string = "object_changed";

  /**
   * Creates the error.
   *
   * @param message which object changed
   * @param options location (and status)
   */
  constructor(message: string, options: Omit<StorageErrorOptions, "retryable"> = {}) {
    super(message, { ...options, retryable: true });
    this.name = "ObjectChangedError";
  }
}

/**
 * A location outside the allow-list (WARM_START_ALLOWED), or one a checkpoint state file may not
 * name. Raised by the allow-list policy (allow_list.ts) for every storage call of a job, before
 * any byte moves. Not a StorageError: it is a refusal, never a fault to retry.
 */
export class LocationNotAllowedError extends Error {
  /** Stable machine-readable tag of the class. */
  readonly code: string = "location_not_allowed";
  /** The refused location. */
  readonly location: string;

  /**
   * Creates the error.
   *
   * @param location the refused location
   * @param reason why (appended to the message)
   */
  constructor(location: string, reason: string) {
    super(`Location not allowed: ${JSON.stringify(clip(location))} ${reason}`);
    this.name = "LocationNotAllowedError";
    this.location = location;
  }
}

/** A local path that is not a regular file (a FIFO, a device, a socket, a directory). */
export class NotRegularFileError extends StorageError {
  /** Stable machine-readable tag of the class. */
  override readonly code: string = "not_regular_file";

  /**
   * Creates the error.
   *
   * @param location the path
   * @param kind what it is instead (`a FIFO`, `a directory`, ...)
   */
  constructor(location: string, kind: string) {
    super(`${clip(location)} is ${kind}, not a regular file; only regular files are read`, {
      location,
      retryable: false,
    });
    this.name = "NotRegularFileError";
  }
}

/** An object that is small by nature (job file, state file, `.meta`) is larger than its cap. */
export class ObjectTooLargeError extends StorageError {
  /** Stable machine-readable tag of the class. */
  override readonly code: string = "object_too_large";
  /** The cap in bytes. */
  readonly limit: number;
  /** The object's size in bytes. */
  readonly size: number;

  /**
   * Creates the error.
   *
   * @param location the object
   * @param what what it is, e.g. `job file` (names the setting that raises the cap, if any)
   * @param size its size
   * @param limit the cap
   */
  constructor(location: string, what: string, size: number, limit: number) {
    super(`${what} ${clip(location)} is ${size} bytes, above the limit of ${limit} bytes`, {
      location,
      retryable: false,
    });
    this.name = "ObjectTooLargeError";
    this.limit = limit;
    this.size = size;
  }
}

/** A location as quoted in a message: at most 512 characters (locations come from requests). */
export function clip(text: string, max = 512): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length} characters)`;
}
