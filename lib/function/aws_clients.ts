/**
 * SQS and Step Functions clients configured from the environment, like the S3 client
 * (storage/s3_config.ts): endpoint `AWS_ENDPOINT_URL_SQS` / `AWS_ENDPOINT_URL_SFN`, else the shared
 * `AWS_ENDPOINT_URL` (loopback servers in tests), region `AWS_REGION` / `AWS_DEFAULT_REGION`
 * (default us-east-1), static credentials from `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` /
 * `AWS_SESSION_TOKEN` when set, else the SDK's default chain (instance role, ECS task role,
 * Lambda execution role, SSO, profiles).
 *
 * @module
 */
import { SFNClient, type SFNClientConfig } from "@aws-sdk/client-sfn";
import { SQSClient, type SQSClientConfig } from "@aws-sdk/client-sqs";
import { addSecret } from "../storage/mod.ts";

/** Reads one environment variable. */
export type EnvFn = (name: string) => string | undefined;

function baseConfig(env: EnvFn, endpointVar: string) {
  const endpoint = env(endpointVar) || env("AWS_ENDPOINT_URL") || undefined;
  const accessKeyId = env("AWS_ACCESS_KEY_ID");
  const secretAccessKey = env("AWS_SECRET_ACCESS_KEY");
  const sessionToken = env("AWS_SESSION_TOKEN") || undefined;
  for (const secret of [secretAccessKey, sessionToken]) if (secret) addSecret(secret);
  return {
    region: env("AWS_REGION") || env("AWS_DEFAULT_REGION") || "us-east-1",
    ...(endpoint ? { endpoint } : {}),
    ...(accessKeyId && secretAccessKey
      ? { credentials: { accessKeyId, secretAccessKey, sessionToken } }
      : {}),
  };
}

/**
 * An SQS client from `env`.
 *
 * @param env reads one variable (default: the process environment)
 * @returns the client
 */
export function sqsClientFromEnv(env: EnvFn = (n) => Deno.env.get(n)): SQSClient {
  const config: SQSClientConfig = baseConfig(env, "AWS_ENDPOINT_URL_SQS");
  return new SQSClient(config);
}

/**
 * A Step Functions client from `env`.
 *
 * @param env reads one variable (default: the process environment)
 * @returns the client
 */
export function sfnClientFromEnv(env: EnvFn = (n) => Deno.env.get(n)): SFNClient {
  const config: SFNClientConfig = baseConfig(env, "AWS_ENDPOINT_URL_SFN");
  return new SFNClient(config);
}
