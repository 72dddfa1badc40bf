/**
 * Typed refusals of the function layer. Each class has a stable `code`; lib/function/outcome.ts
 * maps every error class of every layer to an HTTP status, an exit code and an event status.
 *
 * @module
 */
import { clip, LocationNotAllowedError } from "../storage/mod.ts";

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

/**
 * A spec names a location outside WARM_START_ALLOWED (HTTP 403, CLI exit 2): the early check of
 * the spec's fields, which names the field. The allow-list policy of the job's store
 * (LocationNotAllowedError, which this extends) is the guarantee for every other location.
 */
export class ForbiddenLocationError extends LocationNotAllowedError {
  /** The spec field naming the location, e.g. `output` or `var_name_to_vocab_info.w.new_vocab`. */
  readonly field: string;

  /**
   * Creates the error.
   *
   * @param field spec field
   * @param location the refused location
   * @param reason why
   */
  constructor(field: string, location: string, reason: string) {
    super(location, reason);
    this.message = `Location not allowed: ${clip(field, 200)}: ${
      JSON.stringify(clip(location))
    } ${reason}`;
    this.name = "ForbiddenLocationError";
    this.field = clip(field, 200);
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

/** The server runs as many jobs as WARM_START_MAX_JOBS allows (HTTP 429 with Retry-After). */
export class TooManyJobsError extends Error {
  /** Stable machine-readable tag of the class. */
  readonly code: string = "too_many_jobs";

  /**
   * Creates the error.
   *
   * @param limit the configured limit
   * @param queued whether the bounded queue of event jobs was full too
   */
  constructor(limit: number, queued = false) {
    super(
      queued
        ? `The job queue is full (${limit} jobs running and the queue at its limit); retry later`
        : `${limit} jobs are running (WARM_START_MAX_JOBS); retry later`,
    );
    this.name = "TooManyJobsError";
  }
}

/** A job ran past its deadline (WARM_START_JOB_TIMEOUT_MS) and was aborted; nothing published. */
export class JobTimeoutError extends Error {
  /** Stable machine-readable tag of the class. */
  readonly code: string = "job_timeout";

  /**
   * Creates the error.
   *
   * @param ms the deadline in ms
   */
  constructor(ms: number) {
    super(`The job ran longer than ${ms} ms (WARM_START_JOB_TIMEOUT_MS) and was aborted`);
    this.name = "JobTimeoutError";
  }
}

/** The server is shutting down: a running job was aborted, nothing of it published (HTTP 503). */
export class ShuttingDownError extends Error {
  /** Stable machine-readable tag of the class. */
  readonly code: string = "shutting_down";

  /** Creates the error. */
  constructor() {
    super("The server is shutting down; the job was aborted and published nothing, retry it");
    this.name = "ShuttingDownError";
  }
}

/**
 * A request refused before routing: in local mode a `Host` that is not this server's loopback
 * address, or a foreign `Origin` (a web page's cross-site request), HTTP 403.
 */
export class ForbiddenRequestError extends Error {
  /** Stable machine-readable tag of the class. */
  readonly code: string = "forbidden_request";

  /**
   * Creates the error.
   *
   * @param message why
   */
  constructor(message: string) {
    super(message);
    this.name = "ForbiddenRequestError";
  }
}

/** A body that is not JSON by its Content-Type where JSON is required (HTTP 415). */
export class UnsupportedMediaTypeError extends Error {
  /** Stable machine-readable tag of the class. */
  readonly code: string = "unsupported_media_type";

  /**
   * Creates the error.
   *
   * @param contentType what the request sent
   */
  constructor(contentType: string | null) {
    super(
      `Content-Type ${JSON.stringify(clip(contentType ?? "(none)", 100))} is not accepted: send ` +
        "Content-Type: application/json",
    );
    this.name = "UnsupportedMediaTypeError";
  }
}

/** The request body did not arrive in time (WARM_START_BODY_TIMEOUT_MS, HTTP 408). */
export class RequestTimeoutError extends Error {
  /** Stable machine-readable tag of the class. */
  readonly code: string = "request_timeout";

  /**
   * Creates the error.
   *
   * @param ms the limit in ms
   */
  constructor(ms: number) {
    super(`The request body did not arrive within ${ms} ms (WARM_START_BODY_TIMEOUT_MS)`);
    this.name = "RequestTimeoutError";
  }
}

/** A notification with more records than WARM_START_MAX_EVENT_RECORDS (HTTP 413). */
export class TooManyRecordsError extends Error {
  /** Stable machine-readable tag of the class. */
  readonly code: string = "too_many_records";

  /**
   * Creates the error.
   *
   * @param count records in the body
   * @param limit the limit
   */
  constructor(count: number, limit: number) {
    super(
      `The notification has ${count} records, more than ${limit} (WARM_START_MAX_EVENT_RECORDS); ` +
        "send them in smaller batches",
    );
    this.name = "TooManyRecordsError";
  }
}

/** A Step Functions call of the function failed (502, or 503 when a retry may help). */
export class StepFunctionsError extends Error {
  /** Stable machine-readable tag of the class. */
  readonly code: string = "step_functions";
  /** Whether trying again later may work (throttling, a 5xx, the network). */
  readonly retryable: boolean;

  /**
   * Creates the error.
   *
   * @param message what failed
   * @param retryable whether a retry may help
   * @param options the SDK's error as `cause`
   */
  constructor(message: string, retryable: boolean, options?: ErrorOptions) {
    super(message, options);
    this.name = "StepFunctionsError";
    this.retryable = retryable;
  }
}
