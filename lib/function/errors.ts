/**
 * Typed refusals of the function layer. Each class has a stable `code`; lib/function/outcome.ts
 * maps every error class of every layer to an HTTP status, an exit code and an event status.
 *
 * @module
 */

/** The request carried no valid credentials (HTTP 401). */
export class UnauthorizedError extends Error {
  /** Stable machine-readable tag of the class. */
  readonly code: string = "unauthorized";

  /**
   * Creates the error.
   *
   * @param message what to tell the client
   */
  constructor(message = "Missing or invalid credentials: send Authorization: Bearer <token>") {
    super(message);
    this.name = "UnauthorizedError";
  }
}

/** A spec names a location outside WARM_START_ALLOWED (HTTP 403, CLI exit 2). */
export class ForbiddenLocationError extends Error {
  /** Stable machine-readable tag of the class. */
  readonly code: string = "location_not_allowed";
  /** The spec field naming the location, e.g. `output` or `var_name_to_vocab_info.w.new_vocab`. */
  readonly field: string;
  /** The refused location. */
  readonly location: string;

  /**
   * Creates the error.
   *
   * @param field spec field
   * @param location the refused location
   * @param reason why
   */
  constructor(field: string, location: string, reason: string) {
    super(`Location not allowed: ${field}: ${JSON.stringify(location)} ${reason}`);
    this.name = "ForbiddenLocationError";
    this.field = field;
    this.location = location;
  }
}

/** The request body is larger than the configured limit (HTTP 413). */
export class PayloadTooLargeError extends Error {
  /** Stable machine-readable tag of the class. */
  readonly code: string = "payload_too_large";
  /** The limit in bytes. */
  readonly limit: number;

  /**
   * Creates the error.
   *
   * @param limit the limit in bytes
   */
  constructor(limit: number) {
    super(`Request body is larger than ${limit} bytes (WARM_START_MAX_BODY_BYTES)`);
    this.name = "PayloadTooLargeError";
    this.limit = limit;
  }
}

/** Invalid function configuration (environment or config file); the server refuses to start. */
export class ConfigError extends Error {
  /** Stable machine-readable tag of the class. */
  readonly code: string = "invalid_config";
  /** Environment variable or config field at fault. */
  readonly field: string;

  /**
   * Creates the error.
   *
   * @param field variable or field
   * @param reason what is wrong
   */
  constructor(field: string, reason: string) {
    super(`Invalid configuration: ${field}: ${reason}`);
    this.name = "ConfigError";
    this.field = field;
  }
}

/** A command line the CLI cannot run: unknown command or option, missing argument (exit 2). */
export class UsageError extends Error {
  /** Stable machine-readable tag of the class. */
  readonly code: string = "usage";
  /** The option or argument at fault, e.g. `--spec`. */
  readonly field: string;

  /**
   * Creates the error.
   *
   * @param message what is wrong (the usage text may follow on later lines)
   * @param field the option or argument at fault
   */
  constructor(message: string, field = "argv") {
    super(message);
    this.name = "UsageError";
    this.field = field;
  }
}
