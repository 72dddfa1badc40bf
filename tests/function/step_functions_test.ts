import assert from "node:assert/strict";
import * as posix from "node:path/posix";
import { ListMultipartUploadsCommand } from "@aws-sdk/client-s3";
import {
  CreateStateMachineCommand,
  type DescribeExecutionCommandOutput,
  StartExecutionCommand,
} from "@aws-sdk/client-sfn";
import {
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
} from "@aws-sdk/client-sqs";
import { createHandler } from "../../lib/function/app.ts";
import { loadConfig } from "../../lib/function/config.ts";
import { runQueueWorker } from "../../lib/function/queue_worker.ts";
import { routingStore } from "../../lib/storage/router.ts";
import { S3Store } from "../../lib/storage/s3_store.ts";
import type { Store } from "../../lib/storage/store.ts";
import { jobIdOf } from "../../lib/warmstart/job_id.ts";
import { parseJobSpec } from "../../lib/warmstart/job_spec.ts";
import { runWarmStart } from "../../lib/warmstart/run.ts";
import { PYTHON } from "../warmstart/_python.ts";
import { type MotoSfn, startMotoSfn } from "./_moto_sfn.ts";
import { type LogLine, startWorkers, type WorkerPool } from "./_queue_workers.ts";
import { TOKEN } from "./_setup.ts";

// The shipped state machine (its moto variant: lib/function/state_machine.ts) really runs on
// moto server in execute mode with its SQS and S3; K=3 worker PROCESSES run the plan, the tasks
// and the commit of a TF-made checkpoint in two data shards whose tensors span several parts.
// The merged checkpoint must be byte-identical to the one-process output, and TF must restore it
// with its own warm_start values. Then the faults: a worker SIGKILLed mid-task (heartbeat
// timeout, retry), duplicated messages, an input replaced mid-run (FAILED, nothing published or
// left open), a worker killed during the commit (retried; a rerun converges); the worker's
// handling of hostile bodies; and the HTTP route (202, duplicates, GET /v1/jobs/<id>).
// Assertions are on statuses: moto's error codes are empty.

const REPO = new URL("../../", import.meta.url).pathname;
const BUCKET = "warm-start-sfn";
const IN = `s3://${BUCKET}/in`;
/** Every task is one part (the bound is below any part). */
const TASK_BYTES = 1;
const RUN_MS = 90_000;

async function makeScenario(root: string): Promise<string> {
  const out = await new Deno.Command(PYTHON, {
    args: [`${REPO}tests/oracle/make_sharded_scenario.py`, root],
    env: { TF_CPP_MIN_LOG_LEVEL: "3" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(`make_sharded_scenario.py failed:\n${new TextDecoder().decode(out.stderr)}`);
  }
  return JSON.parse(new TextDecoder().decode(out.stdout).trim().split("\n").at(-1)!).dir;
}

async function uploadDir(store: Store, dir: string, prefix: string): Promise<void> {
  for (const e of Deno.readDirSync(dir)) {
    const path = posix.join(dir, e.name);
    if (e.isDirectory) {
      if (e.name !== "expected") await uploadDir(store, path, `${prefix}/${e.name}`);
    } else if (e.name !== "spec.json" && e.name !== "scenario.json") {
      await store.put(`${prefix}/${e.name}`, await Deno.readFile(path));
    }
  }
}

/** The scenario's spec with absolute s3:// locations and `output`. */
function specFor(output: string): Record<string, unknown> {
  return {
    ckpt_to_initialize_from: `${IN}/old`,
    new_checkpoint: `${IN}/new/model-0`,
    output,
    var_name_to_vocab_info: {
      emb: {
        new_vocab: `${IN}/new_vocab.txt`,
        new_vocab_size: 50_000,
        num_oov_buckets: 0,
        old_vocab: `${IN}/old_vocab.txt`,
        old_vocab_size: -1,
        backup_initializer: "zeros",
        axis: 0,
      },
    },
  };
}

const SUFFIXES = [".index", ".data-00000-of-00002", ".data-00001-of-00002", ".meta"];

async function checkpointFiles(store: Store, prefix: string): Promise<Uint8Array[]> {
  return await Promise.all(SUFFIXES.map((s) => store.read(`${prefix}${s}`)));
}

function sameBytes(a: Uint8Array[], b: Uint8Array[], what: string): void {
  for (let i = 0; i < SUFFIXES.length; i++) {
    assert.equal(a[i].length, b[i].length, `${what}${SUFFIXES[i]}: size`);
    assert.ok(a[i].every((x, j) => x === b[i][j]), `${what}${SUFFIXES[i]} differs`);
  }
}

async function openUploads(moto: MotoSfn, prefix: string): Promise<string[]> {
  const r = await moto.s3.send(new ListMultipartUploadsCommand({ Bucket: BUCKET }));
  return (r.Uploads ?? []).map((u) => u.Key ?? "").filter((k) => k.startsWith(prefix));
}

/** A message relay from the state machine's queue to the workers' queue, with a hook. */
function startRelay(
  moto: MotoSfn,
  from: string,
  to: string,
  copiesOf: (body: Record<string, unknown>) => Promise<number> | number,
): { seen: Record<string, unknown>[]; stop(): Promise<void> } {
  const seen: Record<string, unknown>[] = [];
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const r = await moto.sqs.send(
        new ReceiveMessageCommand({ QueueUrl: from, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
      );
      for (const m of r.Messages ?? []) {
        const body = JSON.parse(m.Body!);
        seen.push(body);
        const copies = await copiesOf(body);
        for (let i = 0; i < copies; i++) {
          await moto.sqs.send(new SendMessageCommand({ QueueUrl: to, MessageBody: m.Body! }));
        }
        await moto.sqs.send(
          new DeleteMessageCommand({ QueueUrl: from, ReceiptHandle: m.ReceiptHandle }),
        );
      }
    }
  })();
  return {
    seen,
    async stop() {
      stopped = true;
      await loop;
    },
  };
}

function started(op: string, jobDirPart?: string): (l: LogLine) => boolean {
  return (l) =>
    l.msg === "operation started" && l.op === op &&
    (jobDirPart === undefined || String(l.jobDir ?? "").includes(jobDirPart));
}

Deno.test("Step Functions on moto: K=3 worker processes, faults, hostile messages, the HTTP route", async (t) => {
  const tmp = await Deno.makeTempDir({ prefix: "ws-sfn-" });
  const moto = await startMotoSfn();
  let pool: WorkerPool | undefined;
  try {
    const scenario = await makeScenario(tmp);
    await moto.createBucket(BUCKET);
    const s3 = new S3Store({ env: moto.env });
    const store = routingStore({ s3 });
    await uploadDir(s3, scenario, IN);
    // The one-process output of the same job: the bytes every distributed run must give.
    const refPrefix = `s3://${BUCKET}/ref/model-0`;
    await runWarmStart(parseJobSpec(specFor(refPrefix)), { store });
    const reference = await checkpointFiles(s3, refPrefix);

    const work = await moto.createQueue("work", 15);
    const relayIn = await moto.createQueue("relay-in", 15);
    const sm = await moto.createStateMachine("warm-start", {
      // Short enough for the kill tests, long enough for a loaded CI machine (the workers beat
      // every 500 ms).
      heartbeatSeconds: 5,
      timeoutSeconds: 120,
      retryIntervalSeconds: 1,
      maxAttempts: 4,
    });
    pool = startWorkers(work, {
      ...moto.env,
      WARM_START_WORKER_HEARTBEAT_MS: "500",
      WARM_START_WORKER_VISIBILITY_S: "15",
    }, 3);
    const workers = pool;

    const execute = async (
      name: string,
      output: string,
      queueUrl = work,
    ): Promise<string> => {
      const r = await moto.sfn.send(
        new StartExecutionCommand({
          stateMachineArn: sm,
          name,
          input: JSON.stringify({ queueUrl, spec: specFor(output), taskBytes: TASK_BYTES }),
        }),
      );
      return r.executionArn!;
    };
    const planOf = async (arn: string) => {
      const ev = (await moto.history(arn)).find((e) => e.type === "TaskSucceeded");
      return JSON.parse(ev?.taskSucceededEventDetails?.output ?? "{}");
    };
    const succeeded = (d: DescribeExecutionCommandOutput) =>
      assert.equal(d.status, "SUCCEEDED", `${d.status} ${d.error ?? ""} ${d.cause ?? ""}`);

    await t.step(
      "K=3 workers run many tasks: SUCCEEDED, identical bytes, TF restores",
      async () => {
        const output = `s3://${BUCKET}/out/main/model-0`;
        const arn = await execute("main", output);
        const d = await moto.waitForExecution(arn, RUN_MS);
        succeeded(d);
        const plan = await planOf(arn);
        assert.ok(plan.tasks >= 4, `tasks: ${plan.tasks}`);
        // The remap's window pass ran as map tasks, a phase of its own, before the others.
        assert.ok(plan.mapTasks >= 1, `map tasks: ${plan.mapTasks}`);
        sameBytes(await checkpointFiles(s3, output), reference, output);
        const report = JSON.parse(d.output!);
        assert.equal(report.output, output);
        assert.equal(report.outcome, "written");
        // The tasks ran in more than one process.
        const ran = workers.lines.filter((l) =>
          l.msg === "operation finished" && l.op === "task" &&
          String(l.jobDir).includes("/out/main/")
        );
        assert.ok(ran.length >= plan.tasks, `${ran.length} task answers`);
        assert.ok(new Set(ran.map((l) => l.worker)).size >= 2, "tasks ran in several workers");
        assert.deepEqual(await openUploads(moto, "out/main/"), []);

        // TensorFlow: the merged checkpoint equals TF's own warm_start result and restores into
        // the NEW graph.
        const local = posix.join(tmp, "merged");
        await Deno.mkdir(local);
        const files = await checkpointFiles(s3, output);
        for (let i = 0; i < SUFFIXES.length; i++) {
          await Deno.writeFile(posix.join(local, `model-0${SUFFIXES[i]}`), files[i]);
        }
        const tf = await new Deno.Command(PYTHON, {
          args: [
            `${REPO}tests/oracle/check_output.py`,
            scenario,
            posix.join(local, "model-0"),
          ],
          env: { TF_CPP_MIN_LOG_LEVEL: "3" },
          stdout: "piped",
          stderr: "piped",
        }).output();
        const verdict = new TextDecoder().decode(tf.stdout);
        assert.ok(tf.success, `check_output.py: ${verdict}${new TextDecoder().decode(tf.stderr)}`);
        assert.equal(JSON.parse(verdict).ok, true, verdict);
      },
    );

    await t.step(
      "a worker SIGKILLed mid-task: heartbeat timeout, retried, identical bytes",
      async () => {
        const output = `s3://${BUCKET}/out/killed/model-0`;
        const arn = await execute("killed", output);
        const victim = await workers.waitFor(started("task", "/out/killed/"), RUN_MS);
        await workers.kill(victim.worker);
        workers.spawn();
        const d = await moto.waitForExecution(arn, RUN_MS);
        succeeded(d);
        sameBytes(await checkpointFiles(s3, output), reference, output);
        // The killed worker's task ran again elsewhere (a new message after the heartbeat timeout).
        const again = workers.lines.filter((l) =>
          started("task", "/out/killed/")(l) && l.task === victim.task && l.worker !== victim.worker
        );
        assert.ok(again.length >= 1, `task ${victim.task} was not retried`);
        assert.deepEqual(await openUploads(moto, "out/killed/"), []);
      },
    );

    await t.step(
      "a worker SIGTERMed mid-task answers WarmStart.Retryable and exits 0",
      async () => {
        const output = `s3://${BUCKET}/out/stopped/model-0`;
        const arn = await execute("stopped", output);
        const victim = await workers.waitFor(started("task", "/out/stopped/"), RUN_MS);
        assert.equal(await workers.terminate(victim.worker), 0);
        workers.spawn();
        const answered = workers.lines.find((l) =>
          l.worker === victim.worker && l.msg === "operation failed" && l.task === victim.task
        );
        assert.equal(answered?.errorName, "WarmStart.Retryable");
        const d = await moto.waitForExecution(arn, RUN_MS);
        succeeded(d);
        sameBytes(await checkpointFiles(s3, output), reference, output);
      },
    );

    await t.step("duplicated SQS messages are harmless", async () => {
      const output = `s3://${BUCKET}/out/dup/model-0`;
      const relay = startRelay(moto, relayIn, work, (b) => (b.op === "task" ? 2 : 1));
      try {
        const arn = await execute("dup", output, relayIn);
        const d = await moto.waitForExecution(arn, RUN_MS);
        succeeded(d);
        sameBytes(await checkpointFiles(s3, output), reference, output);
        const tasks = relay.seen.filter((b) => b.op === "task").length;
        assert.ok(tasks >= 4, `${tasks} task messages`);
        assert.deepEqual(await openUploads(moto, "out/dup/"), []);
      } finally {
        await relay.stop();
      }
    });

    await t.step("an input replaced mid-run: FAILED, no .index, no upload left open", async () => {
      const output = `s3://${BUCKET}/out/changed/model-0`;
      const shard = `${IN}/old/model-0.data-00000-of-00001`;
      const original = await s3.read(shard);
      let replaced = false;
      // The first task message waits until the OLD data shard (every task's source) changed.
      const relay = startRelay(moto, relayIn, work, async (b) => {
        if (b.op === "task" && !replaced) {
          const changed = original.slice();
          changed[100] ^= 0xff;
          await s3.put(shard, changed);
          replaced = true;
        }
        return 1;
      });
      try {
        const arn = await execute("changed", output, relayIn);
        const d = await moto.waitForExecution(arn, RUN_MS);
        assert.equal(d.status, "FAILED");
        assert.ok(replaced);
        assert.equal(await s3.stat(`${output}.index`), undefined, "no .index published");
        assert.deepEqual(await openUploads(moto, "out/changed/"), [], "uploads aborted");
        assert.ok(relay.seen.some((b) => b.op === "abort"), "the Abort state ran");
      } finally {
        await relay.stop();
        await s3.put(shard, original);
      }
    });

    await t.step("a worker killed during the commit: retried; a rerun converges", async () => {
      const output = `s3://${BUCKET}/out/commit/model-0`;
      const arn = await execute("commit", output);
      const victim = await workers.waitFor(started("commit", "/out/commit/"), RUN_MS);
      await workers.kill(victim.worker);
      workers.spawn();
      const d = await moto.waitForExecution(arn, RUN_MS);
      succeeded(d);
      sameBytes(await checkpointFiles(s3, output), reference, output);
      assert.ok(
        workers.lines.some((l) =>
          started("commit", "/out/commit/")(l) && l.worker !== victim.worker
        ),
        "the commit ran again in another worker",
      );
      // The same job again (a new execution): already published, nothing rewritten.
      const again = await moto.waitForExecution(await execute("commit-again", output), RUN_MS);
      succeeded(again);
      assert.equal(JSON.parse(again.output!).published, true);
      sameBytes(await checkpointFiles(s3, output), reference, output);
      assert.deepEqual(await openUploads(moto, "out/commit/"), []);
    });

    await t.step("hostile bodies: answered as invalid, deleted, never a crash", async () => {
      const q = await moto.createQueue("hostile", 15);
      // A state machine whose one callback task sends a body no worker can run.
      const bad = await moto.sfn.send(
        new CreateStateMachineCommand({
          name: "hostile",
          roleArn: "arn:aws:iam::123456789012:role/warm-start-state-machine",
          definition: JSON.stringify({
            StartAt: "Bad",
            States: {
              Bad: {
                Type: "Task",
                Resource: "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                Parameters: {
                  QueueUrl: q,
                  MessageBody: { op: "explode", job: 7, "taskToken.$": "$$.Task.Token" },
                },
                TimeoutSeconds: 60,
                End: true,
              },
            },
          }),
        }),
      );
      const exec = await moto.sfn.send(
        new StartExecutionCommand({ stateMachineArn: bad.stateMachineArn!, input: "{}" }),
      );
      const bodies = [
        "not json",
        "[]",
        "null",
        JSON.stringify({ op: "task", job: "s3://ws/x/", task: 1 }),
        JSON.stringify({ op: "task", job: "s3://ws/x/", task: -1, taskToken: "forged" }),
        JSON.stringify({ op: "plan", spec: "s3://ws", taskToken: "forged" }),
        JSON.stringify({ op: "commit", job: "s3://ws/x/", extra: 1, taskToken: "forged" }),
        '{"__proto__": {"op": "plan", "spec": {}}, "taskToken": "forged"}',
        "x".repeat(200_000),
      ];
      for (const b of bodies) {
        await moto.sqs.send(new SendMessageCommand({ QueueUrl: q, MessageBody: b }));
      }
      // Every body is queued (the state machine's too) before the worker starts.
      const queued = async () => {
        const a = await moto.sqs.send(
          new GetQueueAttributesCommand({
            QueueUrl: q,
            AttributeNames: ["ApproximateNumberOfMessages"],
          }),
        );
        return Number(a.Attributes?.ApproximateNumberOfMessages);
      };
      for (let i = 0; i < 100 && await queued() < bodies.length + 1; i++) {
        await new Promise((r) => setTimeout(r, 100));
      }
      const ops: string[] = [];
      const stats = await runQueueWorker({
        queueUrl: q,
        store,
        env: (n) => moto.env[n],
        maxIdlePolls: 2,
        waitTimeSeconds: 1,
        log: () => {},
        runOp: (m) => {
          ops.push(m.op);
          return Promise.resolve({});
        },
      });
      assert.deepEqual(ops, [], "no hostile body reached the engine");
      assert.equal(stats.invalid, bodies.length + 1);
      const d = await moto.waitForExecution(exec.executionArn!, 30_000);
      assert.equal(d.status, "FAILED", "the invalid message was answered SendTaskFailure");
      const attrs = await moto.sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: q,
          AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        }),
      );
      assert.equal(attrs.Attributes?.ApproximateNumberOfMessages, "0");
      assert.equal(attrs.Attributes?.ApproximateNumberOfMessagesNotVisible, "0");

      // A well-formed message for an invalid spec: the engine refuses it, no retry (the
      // execution fails at once), nothing written.
      const output = `s3://${BUCKET}/out/invalid/model-0`;
      const r = await moto.sfn.send(
        new StartExecutionCommand({
          stateMachineArn: sm,
          name: "invalid-spec",
          input: JSON.stringify({ queueUrl: work, spec: { ...specFor(output), bogus: 1 } }),
        }),
      );
      const failed = await moto.waitForExecution(r.executionArn!, 30_000);
      assert.equal(failed.status, "FAILED");
      assert.deepEqual(await s3.list(`s3://${BUCKET}/out/invalid/`), []);
    });

    await t.step(
      "HTTP: 202 with the execution, a duplicate answers it, GET /v1/jobs/<id>",
      async () => {
        const config = loadConfig({
          env: (n) =>
            ({
              WARM_START_TOKEN: TOKEN,
              WARM_START_STATE_MACHINE_ARN: sm,
              WARM_START_QUEUE_URL: work,
              WARM_START_TASK_BYTES: String(TASK_BYTES),
            })[n],
        });
        const handler = createHandler({
          config,
          store,
          run: runWarmStart,
          log: () => {},
          sfn: moto.sfn,
        });
        const auth = { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" };
        const output = `s3://${BUCKET}/out/http/model-0`;
        const post = (query: string, body: unknown) =>
          handler(
            new Request(`http://localhost/v1/warm-start${query}`, {
              method: "POST",
              headers: auth,
              body: JSON.stringify(body),
            }),
          );
        const get = (id: string, headers: HeadersInit = auth) =>
          handler(new Request(`http://localhost/v1/jobs/${id}`, { headers }));
        const first = await post("?distributed=1", specFor(output));
        assert.equal(first.status, 202);
        const a = await first.json();
        assert.equal(a.jobId, jobIdOf(parseJobSpec(specFor(output))));
        assert.match(a.executionArn, /:execution:warm-start:/);
        assert.equal(first.headers.get("location"), `/v1/jobs/${a.jobId}`);
        // The same job again (the flag in the body this time): the same execution.
        const second = await post("", { ...specFor(output), distributed: true });
        assert.equal(second.status, 202);
        assert.equal((await second.json()).executionArn, a.executionArn);
        assert.equal((await get(a.jobId, {})).status, 401);
        assert.equal((await get("0123456789abcdef")).status, 404);
        assert.equal((await get("../../etc")).status, 404);
        const running = await get(a.jobId);
        assert.equal(running.status, 200);
        assert.ok(["RUNNING", "SUCCEEDED"].includes((await running.json()).status));
        await moto.waitForExecution(a.executionArn, RUN_MS);
        const done = await (await get(a.jobId)).json();
        assert.equal(done.status, "SUCCEEDED");
        assert.equal(done.output.output, output);
        sameBytes(await checkpointFiles(s3, output), reference, output);
        // After success the job is published: a duplicate is answered from its completion marker
        // (200, already_done), with no second execution.
        const third = await post("?distributed=1", specFor(output));
        assert.equal(third.status, 200);
        assert.equal(third.headers.get("x-warm-start-status"), "already_done");
        assert.equal((await third.json()).output, output);
        assert.equal((await (await get(a.jobId)).json()).executionArn, a.executionArn);
        assert.equal((await post("", { ...specFor(output), distributed: "yes" })).status, 400);

        // By size: a job whose dry run writes more than WARM_START_DISTRIBUTED_MIN_BYTES goes to
        // Step Functions without asking.
        const sized = createHandler({
          config: loadConfig({
            env: (n) =>
              ({
                WARM_START_TOKEN: TOKEN,
                WARM_START_STATE_MACHINE_ARN: sm,
                WARM_START_QUEUE_URL: work,
                WARM_START_DISTRIBUTED_MIN_BYTES: "1000000",
              })[n],
          }),
          store,
          run: runWarmStart,
          log: () => {},
          sfn: moto.sfn,
        });
        const bySize = `s3://${BUCKET}/out/http-size/model-0`;
        const r = await sized(
          new Request("http://localhost/v1/warm-start?task_bytes=1", {
            method: "POST",
            headers: auth,
            body: JSON.stringify(specFor(bySize)),
          }),
        );
        assert.equal(r.status, 202);
        succeeded(await moto.waitForExecution((await r.json()).executionArn, RUN_MS));
        sameBytes(await checkpointFiles(s3, bySize), reference, bySize);
        await sized.runner.idle();
        await handler.runner.idle();
      },
    );
  } finally {
    await pool?.stop();
    await moto.stop();
    await Deno.remove(tmp, { recursive: true });
  }
});
