/**
 * moto server (from .venv) as a loopback AWS for the Step Functions path: S3, SQS and Step
 * Functions in execute mode (`POST /moto-api/config {"stepfunctions": {"execute_state_machine":
 * true}}`), so the shipped state machine really runs, its SQS messages really go to the queue
 * and its ItemReader really reads tasks.json from S3. moto's interpreter calls its own services
 * at `localhost:$MOTO_PORT`, so the server gets MOTO_PORT = its port.
 *
 * Only what this module starts is stopped, by its PID; every wait is bounded.
 *
 * @module
 */

import { stopChild } from "../_child.ts";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import {
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  type SFNClient,
} from "@aws-sdk/client-sfn";
import { CreateQueueCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { sfnClientFromEnv, sqsClientFromEnv } from "../../lib/function/aws_clients.ts";
import {
  stateMachineDefinition,
  type StateMachineOptions,
} from "../../lib/function/state_machine.ts";
import { s3ConfigFromEnv } from "../../lib/storage/s3_config.ts";

const REPO = new URL("../../", import.meta.url).pathname;
const ACCESS = "test-root-access";
const SECRET = "test-root-secret-not-for-prod";

/** A running moto server with clients for its S3, SQS and Step Functions. */
export interface MotoSfn {
  endpoint: string;
  /** AWS_* env for every client (S3Store, the worker, the function). */
  env: Record<string, string>;
  s3: S3Client;
  sqs: SQSClient;
  sfn: SFNClient;
  /** Creates a bucket. */
  createBucket(name: string): Promise<void>;
  /** Creates a standard queue (visibility timeout in s); returns its URL. */
  createQueue(name: string, visibilitySeconds?: number): Promise<string>;
  /** Creates the moto variant of the shipped state machine; returns its ARN. */
  createStateMachine(
    name: string,
    timing?: Omit<StateMachineOptions, "forMoto">,
  ): Promise<string>;
  /** Waits (bounded) until the execution is no longer RUNNING. */
  waitForExecution(arn: string, timeoutMs: number): Promise<DescribeExecutionCommandOutput>;
  /** The execution's history events. */
  history(arn: string): Promise<HistoryEvent[]>;
  stop(): Promise<void>;
}

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** Starts moto_server on a free loopback port with Step Functions execute mode on. */
export async function startMotoSfn(): Promise<MotoSfn> {
  const bin = `${REPO}.venv/bin/moto_server`;
  try {
    Deno.statSync(bin);
  } catch {
    throw new Error(`${bin} is missing: run scripts/test.sh (it creates .venv)`);
  }
  const port = freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const child = new Deno.Command(bin, {
    args: ["-H", "127.0.0.1", "-p", String(port)],
    stdout: "null",
    stderr: "null",
    env: { MOTO_PORT: String(port), MOTO_ALLOW_NONEXISTENT_REGION: "true" },
  }).spawn();
  let exited = false;
  const status = child.status.then((s) => {
    exited = true;
    return s;
  });
  const stop = async () => {
    await stopChild(child, 3000, status);
  };
  try {
    let ready = false;
    for (let i = 0; i < 400 && !ready; i++) {
      if (exited) throw new Error("moto_server exited during startup");
      try {
        const r = await fetch(`${endpoint}/moto-api/config`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ stepfunctions: { execute_state_machine: true } }),
          signal: AbortSignal.timeout(1000),
        });
        await r.body?.cancel();
        ready = r.ok;
      } catch { /* not yet */ }
      if (!ready) await new Promise((r) => setTimeout(r, 50));
    }
    if (!ready) throw new Error(`moto_server did not answer at ${endpoint}`);
  } catch (e) {
    await stop();
    throw e;
  }
  const env: Record<string, string> = {
    AWS_ENDPOINT_URL: endpoint,
    AWS_ACCESS_KEY_ID: ACCESS,
    AWS_SECRET_ACCESS_KEY: SECRET,
    AWS_REGION: "us-east-1",
    S3_FORCE_PATH_STYLE: "1",
  };
  const s3 = new S3Client(s3ConfigFromEnv(env));
  const sqs = sqsClientFromEnv((n) => env[n]);
  const sfn = sfnClientFromEnv((n) => env[n]);
  return {
    endpoint,
    env,
    s3,
    sqs,
    sfn,
    async createBucket(name) {
      await s3.send(new CreateBucketCommand({ Bucket: name }));
    },
    async createQueue(name, visibilitySeconds = 30) {
      const r = await sqs.send(
        new CreateQueueCommand({
          QueueName: name,
          Attributes: { VisibilityTimeout: String(visibilitySeconds) },
        }),
      );
      return r.QueueUrl!;
    },
    async createStateMachine(name, timing = {}) {
      const r = await sfn.send(
        new CreateStateMachineCommand({
          name,
          type: "STANDARD",
          roleArn: "arn:aws:iam::123456789012:role/warm-start-state-machine",
          definition: JSON.stringify(stateMachineDefinition({ forMoto: true, ...timing })),
        }),
      );
      return r.stateMachineArn!;
    },
    async waitForExecution(arn, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (true) {
        const d = await sfn.send(new DescribeExecutionCommand({ executionArn: arn }));
        if (d.status !== "RUNNING" && d.status !== "PENDING_REDRIVE") return d;
        if (Date.now() > deadline) {
          throw new Error(`execution ${arn} still ${d.status} after ${timeoutMs} ms`);
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    },
    async history(arn) {
      const events: HistoryEvent[] = [];
      let nextToken: string | undefined;
      do {
        const r = await sfn.send(
          new GetExecutionHistoryCommand({ executionArn: arn, nextToken, maxResults: 1000 }),
        );
        events.push(...(r.events ?? []));
        nextToken = r.nextToken;
      } while (nextToken);
      return events;
    },
    async stop() {
      s3.destroy();
      sqs.destroy();
      sfn.destroy();
      await stop();
    },
  };
}
