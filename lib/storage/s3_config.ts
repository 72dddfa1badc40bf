/**
 * S3 client configuration from the environment: AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL,
 * AWS_REGION (default us-east-1), AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN
 * (else the SDK's default credential chain), S3_FORCE_PATH_STYLE=1.
 * SDK retries are off (maxAttempts 1): retry policy is ours (retry.ts), so it is what is measured.
 * SDK checksums are only sent when required; S3Store adds CRC32C itself when enabled.
 * Connections time out after 10 s, idle sockets after 60 s (both surface as retryable errors).
 *
 * @module
 */
import type { S3ClientConfig } from "@aws-sdk/client-s3";

/** Longest wait for a connection (ms): a silent server becomes a retryable error. */
export const CONNECT_TIMEOUT_MS = 10_000;
/** Longest wait for the next byte of an answer (ms). */
export const IDLE_TIMEOUT_MS = 60_000;

/** Environment variables read by {@link s3ConfigFromEnv}. */
export type S3Env = Record<string, string | undefined>;

/** Builds an S3ClientConfig from `env` (default: the process environment). */
export function s3ConfigFromEnv(env: S3Env = Deno.env.toObject()): S3ClientConfig {
  const endpoint = env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL || undefined;
  const config: S3ClientConfig = {
    region: env.AWS_REGION || env.AWS_DEFAULT_REGION || "us-east-1",
    endpoint,
    forcePathStyle: ["1", "true", "yes"].includes((env.S3_FORCE_PATH_STYLE ?? "").toLowerCase()),
    maxAttempts: 1,
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
    // A silent server must become a (retryable) error, not a hung job; transfers may be long.
    requestHandler: { connectionTimeout: CONNECT_TIMEOUT_MS, socketTimeout: IDLE_TIMEOUT_MS },
  };
  if (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) {
    config.credentials = {
      accessKeyId: env.AWS_ACCESS_KEY_ID,
      secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
      sessionToken: env.AWS_SESSION_TOKEN || undefined,
    };
  }
  return config;
}

/** Values that must never appear in logs or error messages. */
export function secretsOf(env: S3Env): string[] {
  return [env.AWS_SECRET_ACCESS_KEY, env.AWS_SESSION_TOKEN, env.AWS_ACCESS_KEY_ID].filter((
    s,
  ): s is string => !!s);
}
