/**
 * versitygw started with `--event-webhook-url`: it POSTs S3-style `{"Records": [...]}` for every
 * bucket event to the URL. It sends a test event at start-up and refuses to start when the URL
 * does not answer, so the function must be listening first (hence a port chosen in advance). It
 * sends no custom headers, so the token travels as the URL's userinfo
 * (`http://hook:<token>@host/v1/events` -> Basic auth).
 *
 * @module
 */
import { S3Client } from "@aws-sdk/client-s3";
import { s3ConfigFromEnv } from "../../lib/storage/s3_config.ts";
import { startVersitygw, testServerEnv } from "../storage/_servers.ts";

/** A running versitygw with webhooks. */
export interface WebhookGateway {
  endpoint: string;
  env: Record<string, string>;
  client: S3Client;
  stop(): Promise<void>;
}

/** The AWS_* environment for a versitygw on `port`. */
export const gatewayEnv = testServerEnv;

/** Starts versitygw on `port` posting events to `webhookUrl`, and creates `buckets`. */
export async function startWebhookGateway(
  port: number,
  webhookUrl: string,
  buckets: string[],
): Promise<WebhookGateway> {
  const server = await startVersitygw({ port, eventWebhookUrl: webhookUrl, buckets });
  const client = new S3Client(s3ConfigFromEnv(server.env));
  return {
    endpoint: server.endpoint,
    env: server.env,
    client,
    stop: async () => {
      client.destroy();
      await server.stop();
    },
  };
}
