/**
 * Maps @aws-sdk/client-s3 failures to the typed error family. Messages name the operation,
 * location, S3 error code and HTTP status; they never carry credentials nor anything else the
 * server sent: an upstream error body (its `<Message>`, which a broken or hostile endpoint may
 * fill with the request's headers) is never passed on, the `<Code>` only when it looks like an
 * S3 error code, and what remains (local network errors) is redacted (redact.ts). The raw SDK
 * error is not attached as `cause`.
 *
 * @module
 */
import { redactSecrets } from "./redact.ts";
import {
  ObjectChangedError,
  ObjectNotFoundError,
  PreconditionFailedError,
  StorageError,
} from "./errors.ts";

/** Context for {@link mapS3Error}. */
export interface S3ErrorContext {
  op: string;
  location: string;
  /** The request carried If-Match (a read or copy pinned to an ETag): 412 means "changed". */
  ifMatch?: boolean;
  /** Strings that must never appear in a message (secret key, session token, access key). */
  secrets?: readonly string[];
}

interface SdkErrorLike {
  name?: string;
  message?: string;
  code?: string;
  Code?: string;
  $fault?: string;
  $metadata?: { httpStatusCode?: number; requestId?: string };
}

const NETWORK_CODES = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "EPIPE",
  "ETIMEDOUT",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ECONNABORTED",
  "UND_ERR_SOCKET",
]);

/** Redacts every secret (the given values, the registered ones, and by pattern) from `text`. */
export function redact(text: string, secrets: readonly string[] = []): string {
  return redactSecrets(text, secrets);
}

/** An S3 error code as servers send them (`NoSuchKey`, `SlowDown`, `InvalidAccessKeyId`). */
const ERROR_CODE = /^[A-Za-z][A-Za-z0-9.]{0,63}$/;

/** The error's code if it looks like one, else a neutral name (never upstream free text). */
function safeCode(code: string): string {
  return ERROR_CODE.test(code) ? code : "UnrecognizedError";
}

/** An S3 request id as servers send them (x-amz-request-id). */
const REQUEST_ID = /^[A-Za-z0-9+/=_.-]{1,128}$/;

/** Longest local (non-upstream) error message kept in a mapped error. */
const MAX_DETAIL = 300;

/** True when the error says the object (not the bucket) is missing: stat/delete treat it as absent. */
export function isMissingObject(e: unknown): boolean {
  const err = (e ?? {}) as SdkErrorLike;
  const code = err.Code ?? err.name;
  if (code === "NoSuchBucket" || code === "NoSuchUpload") return false;
  return code === "NoSuchKey" || code === "NotFound" || statusOf(e) === 404;
}

/** The HTTP status of an SDK error, if the server answered. */
export function statusOf(e: unknown): number | undefined {
  return (e as SdkErrorLike)?.$metadata?.httpStatusCode;
}

/** Converts any failure of an S3 call into ObjectNotFoundError / PreconditionFailedError / ObjectChangedError / StorageError. */
export function mapS3Error(e: unknown, ctx: S3ErrorContext): Error {
  if (e instanceof StorageError || e instanceof ObjectNotFoundError) return e;
  const err = (e ?? {}) as SdkErrorLike;
  if (err.name === "AbortError") return e as Error;
  if (err.name === "CredentialsProviderError") {
    // No credentials anywhere in the provider chain: retrying cannot help.
    return new StorageError(
      `${ctx.op} ${ctx.location}: no AWS credentials found; set AWS_ACCESS_KEY_ID and ` +
        "AWS_SECRET_ACCESS_KEY (or a profile, web identity or instance role)",
      { location: ctx.location, status: 401, retryable: false },
    );
  }
  const status = statusOf(e);
  const code = safeCode(String(err.Code ?? err.code ?? err.name ?? "Error"));
  const where = `${ctx.op} ${ctx.location}`;
  // A server answered: its code and status only (its body is the server's text, not ours).
  // No answer: the local network error, which names hosts and errno codes, redacted and clipped.
  const local = String(err.message ?? e);
  const detail = status !== undefined ? `${code} (HTTP ${status})` : redact(
    `${code}: ${local.length > MAX_DETAIL ? `${local.slice(0, MAX_DETAIL)}…` : local}`,
    ctx.secrets,
  );
  // The S3 request id rides on every error (support tickets, logs); never a credential.
  const location = ctx.location;
  // The request id is the server's header: kept only when it looks like one (S3's are base64 or
  // hex tokens), never as free text a broken endpoint could fill with the request's headers.
  const requestId = err.$metadata?.requestId;
  const id = requestId && REQUEST_ID.test(requestId) ? { requestId } : {};
  if (code === "NoSuchBucket") {
    return new ObjectNotFoundError(`${where}: bucket does not exist (${detail})`, {
      location,
      ...id,
    });
  }
  if (code === "NoSuchUpload") {
    return new StorageError(`${where}: multipart upload vanished (${detail})`, {
      location,
      status,
      retryable: true,
      ...id,
    });
  }
  if (status === 404 || code === "NoSuchKey" || code === "NotFound") {
    return new ObjectNotFoundError(`${where}: object does not exist`, { location, ...id });
  }
  if (status === 412 || code === "PreconditionFailed") {
    return ctx.ifMatch
      ? new ObjectChangedError(
        `${where}: object changed during the job (ETag no longer matches); rerun the job`,
        {
          location,
          status: 412,
          ...id,
        },
      )
      : new PreconditionFailedError(`${where}: object already exists (create-only write)`, {
        location,
        status: 412,
        ...id,
      });
  }
  if (status === 416 || code === "InvalidRange") {
    return new StorageError(`${where}: range not satisfiable (${detail})`, {
      location,
      status: 416,
      ...id,
    });
  }
  if (
    status === 403 || code === "AccessDenied" || code === "InvalidAccessKeyId" ||
    code === "SignatureDoesNotMatch"
  ) {
    return new StorageError(
      `${where}: access denied; check AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY and permissions (${code})`,
      {
        location,
        status: status ?? 403,
        ...id,
      },
    );
  }
  const throttled = status === 503 || status === 429 || code === "SlowDown" ||
    code === "Throttling";
  // A 2xx answer the SDK could not read (a body cut short, a garbled XML reply): the request's
  // outcome is unknown, so it is a transport fault worth retrying.
  const unreadable = status !== undefined && status >= 200 && status < 300;
  const retryable = throttled || unreadable || (status !== undefined && status >= 500) ||
    code === "RequestTimeout" ||
    code === "ConditionalRequestConflict" || status === undefined ||
    NETWORK_CODES.has(err.code ?? "");
  return new StorageError(`${where} failed: ${detail}`, {
    location,
    status: throttled && status === undefined ? 503 : status,
    retryable,
    ...id,
  });
}
