/**
 * Maps @aws-sdk/client-s3 failures to the typed error family. Messages name the operation,
 * location, S3 error code and HTTP status; they never carry credentials (known secret values
 * are redacted, and the raw SDK error is not attached as `cause`).
 *
 * @module
 */
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

/** Redacts every secret from `text`. */
export function redact(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const s of secrets) if (s && s.length >= 4) out = out.split(s).join("[REDACTED]");
  return out;
}

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
  const code = err.Code ?? err.code ?? err.name ?? "Error";
  const where = `${ctx.op} ${ctx.location}`;
  const detail = redact(
    `${code}${status ? ` (HTTP ${status})` : ""}: ${err.message ?? String(e)}`,
    ctx.secrets,
  );
  // The S3 request id rides on every error (support tickets, logs); never a credential.
  const location = ctx.location;
  const requestId = err.$metadata?.requestId;
  const id = requestId ? { requestId } : {};
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
