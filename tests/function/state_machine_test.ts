import assert from "node:assert/strict";
import deployed from "../../deploy/step_functions/warm_start.asl.json" with { type: "json" };
import { specToJson } from "../../lib/function/distributed.ts";
import {
  ERROR_FAILED,
  ERROR_INPUT_CHANGED,
  ERROR_RETRYABLE,
  failureOf,
  parseMessageBody,
  taskOutput,
} from "../../lib/function/queue_worker.ts";
import { WARM_START_ASL as shipped } from "../../lib/function/state_machine_asl.ts";
import {
  MOTO_DEVIATIONS,
  MOTO_TASK_FAILED,
  stateMachineDefinition,
} from "../../lib/function/state_machine.ts";
import { ObjectChangedError, StorageError } from "../../lib/storage/errors.ts";
import { jobIdOf } from "../../lib/warmstart/job_id.ts";
import { parseJobSpec } from "../../lib/warmstart/job_spec.ts";
import { SettingsError } from "../../lib/warmstart/errors.ts";

// The shipped state machine's shape, the one moto switch, the worker's message parsing and
// answers, and the spec the function hands to an execution. Pure: no server (the state machine
// really runs in step_functions_test.ts).

type State = Record<string, unknown> & {
  Type: string;
  Resource?: string;
  Retry?: Array<{ ErrorEquals: string[]; MaxAttempts?: number; IntervalSeconds?: number }>;
  Catch?: Array<{ ErrorEquals: string[]; Next: string }>;
  ItemProcessor?: { ProcessorConfig: Record<string, string>; States: Record<string, State> };
  ItemReader?: Record<string, unknown> & { ReaderConfig: Record<string, string> };
};
const states = (d: unknown) => (d as { States: Record<string, State> }).States;

Deno.test("the shipped ASL: Plan -> Distributed Maps over maps.json, then tasks.json -> Commit, Catch -> Abort", () => {
  // The file in deploy/ is the source's (scripts/state_machine_asl.ts writes it).
  assert.deepEqual(deployed, shipped);
  const s = states(shipped);
  assert.equal((shipped as { StartAt: string }).StartAt, "Defaults");
  // The map tasks (remap window passes) run first, when the plan has any; then the rest.
  assert.deepEqual(
    (s["Maps?"].Choices as Array<Record<string, unknown>>).map((c) => [c.Variable, c.Next]),
    [["$.plan.mapTasks", "Maps"]],
  );
  assert.equal(s["Maps?"].Default, "Tasks");
  for (const [name, list, next] of [["Maps", "maps", "Tasks"], ["Tasks", "tasks", "Commit"]]) {
    const map = s[name];
    assert.equal(map.Type, "Map");
    assert.deepEqual(map.ItemProcessor!.ProcessorConfig, {
      Mode: "DISTRIBUTED",
      ExecutionType: "STANDARD",
    });
    assert.equal(map.ItemReader!.Resource, "arn:aws:states:::s3:getObject");
    assert.equal(map.ItemReader!.ReaderConfig.InputType, "JSON");
    assert.deepEqual(map.ItemReader!.Parameters, {
      "Bucket.$": `$.plan.${list}Bucket`,
      "Key.$": `$.plan.${list}Key`,
    });
    assert.equal(map.ResultPath, null, "the Map's results are dropped (the state stays small)");
    assert.equal(map.Next, next);
  }
  const callbacks = [
    s.Plan,
    s.Commit,
    s.Abort,
    ...Object.values(s.Maps.ItemProcessor!.States),
    ...Object.values(s.Tasks.ItemProcessor!.States),
  ];
  for (const task of callbacks) {
    assert.equal(task.Resource, "arn:aws:states:::sqs:sendMessage.waitForTaskToken");
    assert.ok(typeof task.TimeoutSeconds === "number" && typeof task.HeartbeatSeconds === "number");
    const retried = task.Retry!.flatMap((r) => r.ErrorEquals);
    for (const name of [ERROR_RETRYABLE, "States.Timeout", "States.HeartbeatTimeout"]) {
      assert.ok(retried.includes(name), `${name} retried`);
    }
    assert.ok(!retried.includes(ERROR_FAILED) && !retried.includes(ERROR_INPUT_CHANGED));
  }
  for (const name of ["Maps", "Tasks", "Commit"]) assert.equal(s[name].Catch![0].Next, "Abort");
  assert.equal(s.Plan.Catch![0].Next, "Failed", "no job was planned: nothing to abort");
  assert.equal(s.Abort.Next, "Failed");
  assert.equal(s.Failed.Type, "Fail");
  // No moto-only state in the shipped file.
  assert.equal(s.TasksChecked, undefined);
});

Deno.test("stateMachineDefinition: the timing knobs, and forMoto's documented deviation only", () => {
  assert.deepEqual(stateMachineDefinition(), shipped);
  const timed = states(
    stateMachineDefinition({ heartbeatSeconds: 3, timeoutSeconds: 9, retryIntervalSeconds: 1 }),
  );
  const child = Object.values(timed.Tasks.ItemProcessor!.States)[0];
  for (const t of [timed.Plan, timed.Commit, child]) {
    assert.equal(t.HeartbeatSeconds, 3);
    assert.equal(t.TimeoutSeconds, 9);
    assert.equal(t.Retry![0].IntervalSeconds, 1);
  }
  const moto = states(stateMachineDefinition({ forMoto: true }));
  const prod = states(shipped);
  assert.equal(MOTO_DEVIATIONS.length, 1);
  // Only the Maps and their children change; three states each are added; the rest is shipped.
  const changed = Object.keys(moto).filter((k) =>
    JSON.stringify(moto[k]) !== JSON.stringify(prod[k])
  );
  const phases = ["Maps", "Tasks"];
  assert.deepEqual(
    changed.sort(),
    phases.flatMap((p) => [p, `${p}Checked`, `${p}Failed`, `${p}Ok?`]).sort(),
  );
  for (const [p, next] of [["Maps", "Tasks"], ["Tasks", "Commit"]]) {
    assert.equal(moto[p].Next, `${p}Checked`);
    assert.equal((moto[`${p}Failed`].Parameters as Record<string, string>).Error, MOTO_TASK_FAILED);
    assert.equal(moto[`${p}Failed`].Next, "Abort");
    const ok = (moto[`${p}Ok?`].Choices as Array<Record<string, unknown>>)[0];
    assert.equal(ok.Next, next);
  }
});

Deno.test("parseMessageBody: operations with their token; anything else is invalid, never thrown", () => {
  const ok = parseMessageBody(
    JSON.stringify({
      op: "task",
      job: "s3://b/o/.warm_start/m.0123456789abcdef/",
      task: 3,
      taskToken: "t",
    }),
  );
  assert.equal(ok.taskToken, "t");
  assert.deepEqual(ok.message, {
    op: "task",
    job: "s3://b/o/.warm_start/m.0123456789abcdef/",
    task: 3,
  });
  const plan = parseMessageBody(
    JSON.stringify({ op: "plan", spec: { a: 1 }, taskBytes: null, trigger: null, taskToken: "t" }),
  );
  assert.deepEqual(plan.message, { op: "plan", spec: { a: 1 } });
  const cases: Array<[string | undefined, boolean]> = [
    [undefined, false],
    ["", false],
    ["{", false],
    ["[1]", false],
    ['"x"', false],
    [JSON.stringify({ op: "task", job: "j", task: 1 }), false],
    [JSON.stringify({ op: "task", job: "j", task: 1, taskToken: "" }), false],
    [JSON.stringify({ op: "task", job: "j", task: 1, taskToken: "x".repeat(3000) }), false],
    [JSON.stringify({ op: "task", job: "j", task: 1.5, taskToken: "t" }), true],
    [JSON.stringify({ op: "task", job: "", task: 1, taskToken: "t" }), true],
    [JSON.stringify({ op: "commit", job: 5, taskToken: "t" }), true],
    [JSON.stringify({ op: "commit", job: "j", more: 1, taskToken: "t" }), true],
    [JSON.stringify({ op: "plan", spec: [], taskToken: "t" }), true],
    [JSON.stringify({ op: "plan", spec: {}, taskBytes: 0, taskToken: "t" }), true],
    [JSON.stringify({ op: "abort", job: "j", error: {}, taskToken: "t" }), true],
    [JSON.stringify({ op: "toString", taskToken: "t" }), true],
    ['{"__proto__": {"op": "commit", "job": "j"}, "taskToken": "t"}', true],
    ["x".repeat(300_000), false],
  ];
  for (const [body, hasToken] of cases) {
    const r = parseMessageBody(body);
    assert.equal(r.message, undefined, String(body).slice(0, 80));
    assert.ok(r.error, String(body).slice(0, 80));
    assert.equal(r.taskToken !== undefined, hasToken, String(body).slice(0, 80));
  }
});

Deno.test("the worker's answers: error names say whether a retry helps; outputs stay small", () => {
  assert.equal(
    failureOf(new StorageError("503", { retryable: true }), "task").error,
    ERROR_RETRYABLE,
  );
  assert.equal(
    failureOf(new StorageError("403", { retryable: false }), "task").error,
    ERROR_FAILED,
  );
  assert.equal(failureOf(new SettingsError("bad", { field: "x" }), "plan").error, ERROR_FAILED);
  assert.equal(failureOf(new Error("?"), "commit").error, ERROR_FAILED);
  // A pinned input that changed: the plan is stale (no retry of a task helps), but a plan that
  // met a changing input may be retried.
  const changed = new ObjectChangedError("changed", { location: "s3://b/k" });
  assert.equal(failureOf(changed, "task").error, ERROR_INPUT_CHANGED);
  assert.equal(failureOf(changed, "commit").error, ERROR_INPUT_CHANGED);
  assert.equal(failureOf(changed, "plan").error, ERROR_RETRYABLE);
  const cause = JSON.parse(failureOf(new StorageError("x", { retryable: true }), "task").cause);
  assert.equal(cause.status, 503);

  const small = { task: 1, reused: false, bytes: 10 };
  assert.deepEqual(JSON.parse(taskOutput(small)), small);
  const big = {
    output: "s3://b/m",
    outcome: "written",
    totals: { variables: 100_000 },
    variables: Array.from({ length: 100_000 }, (_, i) => ({ name: `v${i}`, action: "copy" })),
    warnings: Array.from({ length: 50 }, () => "w".repeat(5000)),
  };
  const out = taskOutput(big);
  assert.ok(out.length < 64 * 1024, `${out.length}`);
  const summary = JSON.parse(out);
  assert.equal(summary.truncated, true);
  assert.equal(summary.variableCount, 100_000);
  assert.equal(summary.output, "s3://b/m");
});

Deno.test("specToJson: the spec an execution gets re-parses to the same job", () => {
  const json = {
    ckpt_to_initialize_from: "s3://b/old",
    new_checkpoint: "s3://b/new/model-0",
    output: "s3://b/out/model-0",
    vars_to_warm_start: ["emb.*", "dense/.*"],
    var_name_to_vocab_info: {
      emb: {
        new_vocab: "s3://b/new.txt",
        new_vocab_size: 10,
        num_oov_buckets: 2,
        old_vocab: "s3://b/old.txt",
        old_vocab_size: 8,
        backup_initializer: { constant: 0.5 },
        axis: 0,
      },
    },
    var_name_to_prev_var_name: { emb: "old_emb" },
    trainable_variables: ["emb"],
    overwrite: true,
    strict: true,
  };
  for (
    const vars of [".*", ["a", "b"], { variables: ["emb"] }, null, undefined] as unknown[]
  ) {
    const spec = parseJobSpec({ ...json, vars_to_warm_start: vars });
    const again = parseJobSpec(specToJson(spec));
    assert.deepEqual(again, spec);
    assert.equal(jobIdOf(again), jobIdOf(spec));
  }
  const minimal = parseJobSpec({
    ckpt_to_initialize_from: "/a/old",
    new_checkpoint: "/a/new/model-0",
    output: "/a/out/model-0",
  });
  assert.deepEqual(parseJobSpec(specToJson(minimal)), minimal);
});
