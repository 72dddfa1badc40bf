/**
 * Errors of the warm-start layer: settings TensorFlow's `warm_start` would refuse, and job specs
 * that are malformed. Either way nothing is written.
 *
 * @module
 */

/** Options of {@link SettingsError}. */
export interface SettingsErrorOptions {
  /** JSON-path-like field name the problem is about, when there is one. */
  field?: string;
}

/**
 * Invalid warm-start settings: the cases where TensorFlow raises ValueError (or fails when its
 * initialisers run). Nothing is written.
 */
export class SettingsError extends Error {
  /** Stable machine-readable tag of the class. */
  readonly code: string = "invalid_settings";
  /** JSON-path-like field name the problem is about, when there is one. */
  readonly field?: string;

  /**
   * Creates the error.
   *
   * @param message TF's message where TF has one, else what is wrong and what to do
   * @param options the field
   */
  constructor(message: string, options: SettingsErrorOptions = {}) {
    super(message);
    this.name = "SettingsError";
    if (options.field !== undefined) this.field = options.field;
  }

  /** "warm_start" for TF's ValueError cases, "spec" for a malformed job spec. */
  get kind(): "spec" | "warm_start" {
    return "warm_start";
  }
}

/** A malformed job spec (wrong JSON shape, unknown field, bad regex syntax). */
export class SpecError extends SettingsError {
  /** Stable machine-readable tag of the class. */
  override readonly code: string = "invalid_spec";

  /**
   * Creates the error.
   *
   * @param message what is wrong with the spec
   * @param options the field
   */
  constructor(message: string, options: SettingsErrorOptions = {}) {
    super(message, options);
    // The wire name stays "SettingsError" (clients match `error.type`); `code` and `kind` tell
    // the two apart.
    this.name = "SettingsError";
  }

  /** Always "spec". */
  override get kind(): "spec" | "warm_start" {
    return "spec";
  }
}

/**
 * The job's output belongs to something else: published by a different job (other spec or other
 * inputs), being written by one, or holding files this job did not write. Published checkpoints
 * are immutable: choose a new output prefix.
 */
export class JobConflictError extends Error {
  /** Stable machine-readable tag of the class. */
  readonly code: string = "job_conflict";
  /** The output prefix in question. */
  readonly output: string;

  /**
   * Creates the error.
   *
   * @param output the output prefix
   * @param reason by what it is taken
   */
  constructor(output: string, reason: string) {
    super(`Output ${output} is already published ${reason}; choose a new output prefix`);
    this.name = "JobConflictError";
    this.output = output;
  }
}
