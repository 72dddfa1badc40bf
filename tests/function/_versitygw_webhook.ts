/**
 * versitygw started with `--event-webhook-url`: it POSTs S3-style `{"Records": [...]}` for every
 * bucket event to the URL. It sends a test event at start-up and refuses to start when the URL
 * does not answer, so the function must be listening first. It sends no custom headers, so the
 * token travels as the URL's userinfo (`http://hook:<token>@host/v1/events` -> Basic auth).
 *
 * @module
 */
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { s3ConfigFromEnv } from "../../lib/storage/s3_config.ts";
import { versitygwBinary } from "../storage/_servers.ts";

const ACCESS = "test-root-access";
const SECRET = "test-root-secret-not-for-prod";

/** A running versitygw with webhooks. */
export interface WebhookGateway {
  endpoint: string;
  env: Record<string, string>;
  client: S3Client;
  stop(): Promise<void>;
}

/** The AWS_* environment for a versitygw on `port`. */
export function gatewayEnv(port: number): Record<string, string> {
  return {
    AWS_ENDPOINT_URL: `http://127.0.0.1:${port}`,
    AWS_ACCESS_KEY_ID: ACCESS,
    AWS_SECRET_ACCESS_KEY: SECRET,
    AWS_REGION: "us-east-1",
    S3_FORCE_PATH_STYLE: "1",
  };
}

/** Starts versitygw on `port` posting events to `webhookUrl`, and creates `buckets`. */
export async function startWebhookGateway(
  port: number,
  webhookUrl: string,
  buckets: string[],
): Promise<WebhookGateway> {
  const bin = await versitygwBinary();
  const root = await Deno.makeTempDir({ prefix: "versitygw-e2e-" });
  const child = new Deno.Command(bin, {
    args: [
      "--port",
      `127.0.0.1:${port}`,
      "--access",
      ACCESS,
      "--secret",
      SECRET,
      "--region",
      "us-east-1",
      "--quiet",
      "--event-webhook-url",
      webhookUrl,
      "posix",
      root,
    ],
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let exited = false;
  const status = child.status.finally(() => exited = true);
  const stderr = new Response(child.stderr).text();
  const env = gatewayEnv(port);
  const client = new S3Client(s3ConfigFromEnv(env));
  const stop = async () => {
    client.destroy();
    if (!exited) child.kill("SIGTERM");
    await status;
    await stderr;
    await Deno.remove(root, { recursive: true });
  };
  const endpoint = env.AWS_ENDPOINT_URL;
  for (let i = 0;; i++) {
    if (exited || i > 400) {
      await stop();
      throw new Error(`versitygw did not start: ${await stderr}`);
    }
    try {
      await (await fetch(`${endpoint}/`)).body?.cancel();
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  for (const bucket of buckets) await client.send(new CreateBucketCommand({ Bucket: bucket }));
  return { endpoint, env, client, stop };
}
