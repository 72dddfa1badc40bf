/**
 * The one table that turns an error of any layer into what each trigger answers: the HTTP
 * status, the CLI exit code, the status of an event record, and whether a retry may help. The
 * CLI, the HTTP API and the event processor all read it; nothing else maps errors.
 *
 * @module
 */
import {
  CheckpointError,
  CheckpointNotFoundError,
  KerasFileError,
  TensorNotFoundError,
} from "../checkpoint/mod.ts";
import {
  LocationNotAllowedError,
  NotRegularFileError,
  ObjectChangedError,
  ObjectNotFoundError,
  ObjectTooLargeError,
  PreconditionFailedError,
  redactSecrets,
  StorageError,
} from "../storage/mod.ts";
import { JobConflictError, SettingsError, SpecError } from "../warmstart/mod.ts";
import {
  ConfigError,
  ForbiddenLocationError,
  ForbiddenRequestError,
  JobTimeoutError,
  PayloadTooLargeError,
  RequestTimeoutError,
  ShuttingDownError,
  StepFunctionsError,
  TooManyJobsError,
  TooManyRecordsError,
  UnauthorizedError,
  UnsupportedMediaTypeError,
  UsageError,
} from "./errors.ts";

/** What a trigger answers for an error. */
export interface Outcome {
  /** HTTP status. */
  status: number;
  /**
   * CLI exit code: 2 invalid input or corrupt checkpoint (nothing written), 75 (EX_TEMPFAIL) a
   * failure a retry may fix, 1 any other failure.
   */
  exitCode: number;
  /** Status of the event record that started the job. */
  eventStatus: "refused" | "failed" | "superseded";
  /** Whether delivering the request or event again later may succeed. */
  retryable: boolean;
}

// deno-lint-ignore no-explicit-any
type ErrorClass = abstract new (...args: any[]) => Error;

const refused = (status: number, exitCode = 2): Outcome => ({
  status,
  exitCode,
  eventStatus: "refused",
  retryable: false,
});
const failed = (status: number, retryable: boolean): Outcome => ({
  status,
  exitCode: retryable ? 75 : 1,
  eventStatus: "failed",
  retryable,
});

/** First matching class wins: subclasses before their bases. */
const TABLE: ReadonlyArray<readonly [ErrorClass, (e: never) => Outcome]> = [
  [UnauthorizedError, () => refused(401)],
  // ForbiddenLocationError (the spec check) is one; so is every refusal of the store policy.
  [LocationNotAllowedError, () => refused(403)],
  [ForbiddenRequestError, () => refused(403)],
  [RequestTimeoutError, () => refused(408)],
  [PayloadTooLargeError, () => refused(413)],
  [TooManyRecordsError, () => refused(413)],
  [UnsupportedMediaTypeError, () => refused(415)],
  [TooManyJobsError, () => failed(429, true)],
  [ShuttingDownError, () => failed(503, true)],
  [JobTimeoutError, () => failed(504, false)],
  [StepFunctionsError, (e: StepFunctionsError) => failed(e.retryable ? 503 : 502, e.retryable)],
  [UsageError, () => refused(400)],
  [ConfigError, () => ({ ...failed(500, false), exitCode: 2 })],
  [SpecError, () => refused(400)],
  [SettingsError, () => refused(422)],
  [JobConflictError, () => refused(409, 1)],
  [PreconditionFailedError, () => refused(409, 1)],
  // A missing object may still be on its way (an upload in progress): a later delivery may work.
  [ObjectNotFoundError, () => failed(404, true)],
  // Inputs the job refuses to read: too large for their kind, or not a regular file.
  [ObjectTooLargeError, () => refused(422)],
  [NotRegularFileError, () => refused(422)],
  [ObjectChangedError, () => failed(503, true)],
  [StorageError, (e: StorageError) => failed(e.retryable ? 503 : 502, e.retryable)],
  [CheckpointNotFoundError, () => failed(404, true)],
  // A corrupt, inconsistent or unsupported checkpoint: bad input, nothing published (TF raises
  // DataLossError / NotFoundError / InvalidArgumentError).
  [TensorNotFoundError, () => ({ ...failed(422, false), exitCode: 2 })],
  [KerasFileError, () => refused(422)],
  [CheckpointError, () => ({ ...failed(422, false), exitCode: 2 })],
];

/** An aborted run (a newer event for the same object superseded it). */
function isAbort(error: unknown): boolean {
  return error instanceof DOMException && error.name === "AbortError";
}

/**
 * What every trigger answers for `error`.
 *
 * @param error anything thrown by a job or a request
 * @returns status, exit code, event status and retryability
 */
export function outcomeOf(error: unknown): Outcome {
  if (isAbort(error)) return { ...failed(500, false), eventStatus: "superseded" };
  for (const [cls, outcome] of TABLE) {
    if (error instanceof cls) return outcome(error as never);
  }
  return failed(500, false);
}

/** Longest message a caller gets (an error may quote request input). */
const MAX_MESSAGE = 4096;

/** `text` redacted (storage/redact.ts) and clipped to `max` characters. */
export function safeText(text: string, max = MAX_MESSAGE): string {
  const redacted = redactSecrets(String(text));
  return redacted.length <= max ? redacted : `${redacted.slice(0, max)}… (clipped)`;
}

/** The JSON error body, `{error: {type, code, message, field?, retryable?, location?, ...}}`. */
export type ErrorBody = {
  /** The error's fields. */
  error: Record<string, unknown>;
};

/**
 * The JSON error body every trigger returns or logs for `error`.
 *
 * @param error anything thrown
 * @returns `{error: {type, code, message, ...}}`
 */
export function errorBody(error: unknown): ErrorBody {
  const e = error instanceof Error ? error : new Error(String(error));
  // Whatever the error carries ends up with a caller: redacted and bounded, always.
  const body: Record<string, unknown> = { type: e.name, message: safeText(e.message) };
  const code = (e as { code?: unknown }).code;
  if (typeof code === "string") body.code = code;
  if (e instanceof SettingsError) Object.assign(body, { field: e.field, kind: e.kind });
  if (e instanceof ForbiddenLocationError || e instanceof UsageError) body.field = e.field;
  if (e instanceof LocationNotAllowedError) body.location = safeText(e.location, 1024);
  if (e instanceof StorageError) {
    Object.assign(body, { retryable: e.retryable, location: e.location });
    if (e.requestId !== undefined) body.requestId = safeText(e.requestId, 256);
  }
  if (e instanceof CheckpointError) {
    Object.assign(body, { location: e.location, key: e.key, offset: e.offset });
  }
  if (e instanceof KerasFileError && e.field !== undefined) body.field = e.field;
  return { error: body };
}
