/**
 * Real S3 servers for tests and benchmarks, each on its own free loopback port:
 * versitygw (built by scripts/s3_server.sh from its pinned Go module) and moto server (PyPI, in
 * the repo's .venv). Each returns the env an S3Store needs and a `stop()` that kills the process
 * and removes its temporary data.
 *
 * @module
 */

import { stopChild } from "../_child.ts";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { s3ConfigFromEnv } from "../../lib/storage/s3_config.ts";

const REPO = new URL("../../", import.meta.url).pathname;

/** A running test server. */
export interface TestServer {
  /** "versitygw" or "moto". */
  kind: string;
  /** http://127.0.0.1:PORT */
  endpoint: string;
  /** AWS_* env for S3Store / s3ConfigFromEnv. */
  env: Record<string, string>;
  /** Creates a bucket (ignores "already exists"). */
  createBucket(name: string): Promise<void>;
  /** Kills the server and removes its data. */
  stop(): Promise<void>;
}

/** Options for the servers. */
export interface ServerOptions {
  /** Buckets to create once the server answers. */
  buckets?: string[];
  /**
   * versitygw only: POST S3-style event Records for bucket events to this URL. The receiver must
   * already be listening: versitygw sends a test event at startup and exits if it fails.
   * Records differ from AWS: `eventName` is prefixed "s3:" (e.g. "s3:ObjectCreated:Put") and
   * CompleteMultipartUpload records carry size 0.
   */
  eventWebhookUrl?: string;
  /** versitygw only: path of an --event-filter config file. */
  eventFilter?: string;
  /** moto only: more environment (e.g. S3_UPLOAD_PART_MIN_SIZE, its minimum part). */
  env?: Record<string, string>;
  /** Loopback port to listen on (default: a free one). */
  port?: number;
}

/** The AWS_* environment for a test server on a loopback `port`. */
export function testServerEnv(port: number): Record<string, string> {
  return {
    AWS_ENDPOINT_URL: `http://127.0.0.1:${port}`,
    AWS_ACCESS_KEY_ID: ACCESS,
    AWS_SECRET_ACCESS_KEY: SECRET,
    AWS_REGION: "us-east-1",
    S3_FORCE_PATH_STYLE: "1",
  };
}

const ACCESS = "test-root-access";
const SECRET = "test-root-secret-not-for-prod";

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

let built: Promise<string> | undefined;

/** Path of the versitygw binary, building it (once, cached in .cache/bin) if needed. */
export function versitygwBinary(): Promise<string> {
  built ??= (async () => {
    const out = await new Deno.Command("bash", {
      args: [`${REPO}scripts/s3_server.sh`, "build"],
      stdout: "piped",
      stderr: "inherit",
    }).output();
    if (!out.success) throw new Error("scripts/s3_server.sh build failed");
    return new TextDecoder().decode(out.stdout).trim();
  })();
  return built;
}

async function waitReady(endpoint: string, child: Deno.ChildProcess, name: string): Promise<void> {
  let exited = false;
  child.status.then(() => exited = true);
  for (let i = 0; i < 400; i++) {
    if (exited) throw new Error(`${name} exited during startup`);
    try {
      const r = await fetch(endpoint + "/", { signal: AbortSignal.timeout(1000) });
      await r.body?.cancel();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error(`${name} did not answer at ${endpoint}`);
}

async function finish(
  kind: string,
  endpoint: string,
  child: Deno.ChildProcess,
  cleanup: () => Promise<void>,
  opts: ServerOptions,
): Promise<TestServer> {
  const env = { ...testServerEnv(Number(new URL(endpoint).port)) };
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await stopChild(child, 3000);
    await cleanup();
  };
  try {
    await waitReady(endpoint, child, kind);
  } catch (e) {
    await stop();
    throw e;
  }
  const client = new S3Client(s3ConfigFromEnv(env));
  const createBucket = async (name: string) => {
    try {
      await client.send(new CreateBucketCommand({ Bucket: name }));
    } catch (e) {
      const n = (e as Error).name;
      if (n !== "BucketAlreadyOwnedByYou" && n !== "BucketAlreadyExists") throw e;
    }
  };
  try {
    for (const b of opts.buckets ?? []) await createBucket(b);
  } catch (e) {
    client.destroy();
    await stop();
    throw e;
  }
  return {
    kind,
    endpoint,
    env,
    createBucket,
    stop: async () => {
      client.destroy();
      await stop();
    },
  };
}

/** Starts versitygw (posix backend, temporary root) on a free loopback port. */
export async function startVersitygw(opts: ServerOptions = {}): Promise<TestServer> {
  const bin = await versitygwBinary();
  const port = opts.port ?? freePort();
  const root = await Deno.makeTempDir({ prefix: "versitygw-root-" });
  const args = [
    "--port",
    `127.0.0.1:${port}`,
    "--access",
    ACCESS,
    "--secret",
    SECRET,
    "--region",
    "us-east-1",
    "--quiet",
    "--keep-alive",
  ];
  if (opts.eventWebhookUrl) args.push("--event-webhook-url", opts.eventWebhookUrl);
  if (opts.eventFilter) args.push("--event-filter", opts.eventFilter);
  args.push("posix", root);
  const child = new Deno.Command(bin, { args, stdout: "null", stderr: "null" }).spawn();
  return await finish(
    "versitygw",
    `http://127.0.0.1:${port}`,
    child,
    () => Deno.remove(root, { recursive: true }),
    opts,
  );
}

/** Starts moto server (from .venv) on a free loopback port; state is in memory. */
export async function startMoto(opts: ServerOptions = {}): Promise<TestServer> {
  const bin = `${REPO}.venv/bin/moto_server`;
  const port = opts.port ?? freePort();
  const child = new Deno.Command(bin, {
    args: ["-H", "127.0.0.1", "-p", String(port)],
    stdout: "null",
    stderr: "null",
    env: { MOTO_ALLOW_NONEXISTENT_REGION: "true", ...opts.env },
  }).spawn();
  return await finish("moto", `http://127.0.0.1:${port}`, child, async () => {}, opts);
}

/** Both servers, for conformance tests that run the same body against each. */
export const SERVERS: Record<string, (opts?: ServerOptions) => Promise<TestServer>> = {
  versitygw: startVersitygw,
  moto: startMoto,
};
