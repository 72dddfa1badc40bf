/**
 * Errors of the checkpoint format layer: bytes that do not match the tensor-bundle format, keys
 * that are not in an index, valid input this reader does not support. Each class has a stable
 * `code` and carries where it happened (location, key, offset) and what was expected.
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
  /** Stable machine-readable tag of the class. */
  readonly code: string = "checkpoint_error";
  /** File or object location. */
  readonly location?: string;
  /** Tensor key or variable name. */
  readonly key?: string;
  /** Byte offset in the file. */
  readonly offset?: number;
  /** What the reader expected. */
  readonly expected?: string | number;
  /** What it found. */
  readonly actual?: string | number;

  /**
   * Creates the error.
   *
   * @param message what is wrong and what to do
   * @param details where, and expected vs actual
   */
  constructor(message: string, details: ErrorDetails = {}) {
    super(message);
    this.name = "CheckpointError";
    if (details.location !== undefined) this.location = details.location;
    if (details.key !== undefined) this.key = details.key;
    if (details.offset !== undefined) this.offset = details.offset;
    if (details.expected !== undefined) this.expected = details.expected;
    if (details.actual !== undefined) this.actual = details.actual;
  }
}

/**
 * Bytes that do not match the format: bad magic, checksum mismatch, truncation, bad sizes (TF
 * raises DataLossError for these).
 */
export class CorruptCheckpointError extends CheckpointError {
  /** Stable machine-readable tag of the class. */
  override readonly code: string = "corrupt";

  /**
   * Creates the error.
   *
   * @param message what is corrupt
   * @param details where, and expected vs actual
   */
  constructor(message: string, details: ErrorDetails = {}) {
    super(message, details);
    this.name = "CorruptCheckpointError";
  }
}

/** A tensor key or slice is not in the checkpoint's index. */
export class TensorNotFoundError extends CheckpointError {
  /** Stable machine-readable tag of the class. */
  override readonly code: string = "tensor_not_found";

  /**
   * Creates the error.
   *
   * @param message which key is missing
   * @param details the key
   */
  constructor(message: string, details: ErrorDetails = {}) {
    super(message, details);
    this.name = "TensorNotFoundError";
  }
}

/** No checkpoint at a location: neither `<x>.index` nor a `checkpoint` state file naming one. */
export class CheckpointNotFoundError extends CheckpointError {
  /** Stable machine-readable tag of the class. */
  override readonly code: string = "checkpoint_not_found";

  /**
   * Creates the error.
   *
   * @param message what was looked for
   * @param details the location
   */
  constructor(message: string, details: ErrorDetails = {}) {
    super(message, details);
    this.name = "CheckpointNotFoundError";
  }
}

/** Valid input this implementation does not support (e.g. big-endian bundles). */
export class UnsupportedError extends CheckpointError {
  /** Stable machine-readable tag of the class. */
  override readonly code: string = "unsupported";

  /**
   * Creates the error.
   *
   * @param message what is not supported
   * @param details where
   */
  constructor(message: string, details: ErrorDetails = {}) {
    super(message, details);
    this.name = "UnsupportedError";
  }
}

/**
 * A Keras file (`.weights.h5`, `.keras`) where a TensorFlow checkpoint was expected; the message
 * says how to save a TF checkpoint from Keras.
 */
export class KerasFileError extends CheckpointError {
  /** Stable machine-readable tag of the class. */
  override readonly code: string = "keras_file";
  /** The job spec field naming the file, when known. */
  readonly field?: string;

  /**
   * Creates the error.
   *
   * @param message what the file is and what to pass instead
   * @param details the location (and the spec field)
   */
  constructor(message: string, details: ErrorDetails & { field?: string } = {}) {
    super(message, details);
    this.name = "KerasFileError";
    if (details.field !== undefined) this.field = details.field;
  }
}
