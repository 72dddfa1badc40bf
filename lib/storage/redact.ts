/**
 * Redaction of credentials from any text that may reach a caller or a log: by pattern (SigV4
 * `Credential=…` and `Signature=…`, `x-amz-security-token`, `Authorization` values, AWS access
 * key ids, `AWSAccessKeyId` in S3 error bodies, `aws_secret_access_key = …` lines) and by value
 * (every credential the process resolved: the environment's, and those the SDK's provider chain
 * returned — shared credentials file, web identity, a Deploy Cloud Connection — registered with
 * {@link addSecret} when first resolved).
 *
 * @module
 */

const SECRETS = new Set<string>();

/** Shortest value redacted by value (shorter strings would blank out ordinary words). */
const MIN_SECRET_LENGTH = 8;

/**
 * Adds a credential value to the process-wide redaction set.
 *
 * @param value a secret (ignored when empty or shorter than 8 characters)
 */
export function addSecret(value: string | undefined | null): void {
  if (typeof value === "string" && value.length >= MIN_SECRET_LENGTH) SECRETS.add(value);
}

const MARK = "[REDACTED]";

/** Patterns whose first group is kept and whose rest is redacted. */
const PATTERNS: ReadonlyArray<RegExp> = [
  // SigV4 header and presigned-URL forms: Credential=AKID/date/region/s3/aws4_request, Signature=hex
  /((?:X-Amz-)?Credential=)[^,&\s"'<>]+/gi,
  /((?:X-Amz-)?Signature=)[^,&\s"'<>]+/gi,
  // x-amz-security-token: <token> (header dumps, JSON, query strings)
  /(x-amz-security-token["']?\s*[:=]\s*["']?)[^\s"'<>&,]+/gi,
  // Authorization: <anything up to the end of the value>
  /(authorization["']?\s*[:=]\s*["']?)[^"'<>\r\n]+/gi,
  // S3 error bodies: <AWSAccessKeyId>AKID</AWSAccessKeyId>, <StringToSign>, <CanonicalRequest>
  /(<AWSAccessKeyId>)[^<]*/gi,
  /(<(?:StringToSign|CanonicalRequest|SignatureProvided)(?:Bytes)?>)[^<]*/gi,
  // Shared-credentials-file and SDK field spellings
  /((?:aws_)?(?:secret_access_key|session_token|security_token|secretAccessKey|sessionToken)["']?\s*[:=]\s*["']?)[^\s"'<>,]+/gi,
];

/** AWS access key ids (long-term AKIA…, temporary ASIA…). */
const ACCESS_KEY_ID = /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g;

/**
 * `text` with every credential replaced by `[REDACTED]`.
 *
 * @param text any text (an error message, a log line)
 * @param extra further secret values to redact (besides the registered ones)
 * @returns the redacted text
 */
export function redactSecrets(text: string, extra: readonly string[] = []): string {
  let out = text;
  for (const s of [...SECRETS, ...extra]) {
    if (s && s.length >= 4 && out.includes(s)) out = out.split(s).join(MARK);
  }
  for (const re of PATTERNS) out = out.replace(re, `$1${MARK}`);
  return out.replace(ACCESS_KEY_ID, MARK);
}
