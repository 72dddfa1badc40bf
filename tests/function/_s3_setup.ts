/**
 * Route tests against a real S3 server (versitygw from tests/storage/_servers.ts): a handler
 * whose store routes `s3://` to that server, and helpers to put objects and build event bodies.
 *
 * @module
 */
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { createHandler, type Handler } from "../../lib/function/mod.ts";
import { type FunctionConfig, loadConfig } from "../../lib/function/config.ts";
import type { WarmStartRunner } from "../../lib/function/job_runner.ts";
import type { Logger } from "../../lib/function/log.ts";
import { routingStore } from "../../lib/storage/router.ts";
import type { Store } from "../../lib/storage/store.ts";
import { s3ConfigFromEnv } from "../../lib/storage/s3_config.ts";
import { S3Store } from "../../lib/storage/s3_store.ts";
import type { TestServer } from "../storage/_servers.ts";
import { TOKEN } from "./_setup.ts";

/** A handler over a real S3 server. */
export interface S3Setup {
  client: S3Client;
  store: Store;
  config: FunctionConfig;
  handler: Handler;
  /** Puts an object; returns its ETag (unquoted, as events carry it). */
  put(bucket: string, key: string, body: string | Uint8Array): Promise<string>;
  close(): Promise<void>;
}

/** Builds an {@link S3Setup} on `server` with extra config `env`. */
export function s3Setup(
  server: TestServer,
  run: WarmStartRunner,
  env: Record<string, string> = {},
): S3Setup {
  const client = new S3Client(s3ConfigFromEnv(server.env));
  const store = routingStore({ s3: new S3Store({ env: server.env }) });
  const config = loadConfig({ env: (name) => ({ WARM_START_TOKEN: TOKEN, ...env })[name] });
  const log: Logger = () => {};
  const handler = createHandler({ config, store, run, log });
  return {
    client,
    store,
    config,
    handler,
    async put(bucket, key, body) {
      const r = await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
      return (r.ETag ?? "").replaceAll('"', "");
    },
    async close() {
      await handler.runner.idle();
      client.destroy();
    },
  };
}

/** AWS's form encoding of keys in event records (space as `+`). */
export function awsEncodeKey(key: string): string {
  return encodeURIComponent(key).replace(/%20/g, "+").replace(/%2F/g, "/");
}

/** An AWS S3 event notification body with one ObjectCreated:Put record. */
export function awsEvent(
  bucket: string,
  key: string,
  extra: { etag?: string; sequencer?: string; eventTime?: string } = {},
): Record<string, unknown> {
  return {
    Records: [{
      eventVersion: "2.1",
      eventSource: "aws:s3",
      awsRegion: "us-east-1",
      eventTime: extra.eventTime ?? new Date().toISOString(),
      eventName: "ObjectCreated:Put",
      s3: {
        s3SchemaVersion: "1.0",
        bucket: { name: bucket, arn: `arn:aws:s3:::${bucket}` },
        object: {
          key: awsEncodeKey(key),
          size: 1,
          ...(extra.etag ? { eTag: extra.etag } : {}),
          ...(extra.sequencer ? { sequencer: extra.sequencer } : {}),
        },
      },
    }],
  };
}
