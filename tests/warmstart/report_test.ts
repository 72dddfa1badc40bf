import assert from "node:assert/strict";
import { JobConflictError } from "../../lib/warmstart/errors.ts";
import * as posix from "node:path/posix";
import { FileStore } from "../../lib/storage/file_store.ts";
import { parseJobSpec } from "../../lib/warmstart/job_spec.ts";
import { runWarmStart } from "../../lib/warmstart/run.ts";
import { isEmptyTree, PORTED_ROOT } from "./_scenarios.ts";

const store = new FileStore();
// The tests' output directories, removed when this file's tests are done.
const outputs: string[] = [];
globalThis.addEventListener("unload", () => {
  for (const d of outputs) Deno.removeSync(d, { recursive: true });
});

async function specOf(name: string, patch: Record<string, unknown> = {}) {
  const dir = posix.join(PORTED_ROOT, name);
  const json = { ...JSON.parse(await Deno.readTextFile(posix.join(dir, "spec.json"))), ...patch };
  const out = await Deno.makeTempDir({ prefix: "ws-report-" });
  outputs.push(out);
  return { spec: { ...parseJobSpec(json, { baseDir: dir }), output: `${out}/model-0` }, dir, out };
}

Deno.test("report: an embedding remap says what moved (TF test 28 vectors)", async () => {
  // NEW6 vs OLD4 -> [3, 2, 1, 0, -1, -1]: 4 rows matched, 2 new, no OOV; partitioned 3+3.
  const { spec } = await specOf("wsu_28_embedding_column");
  const report = await runWarmStart(spec, { store });
  const v = report.variables.find((x) =>
    x.name === "input_layer/sc_vocab_embedding/embedding_weights"
  )!;
  assert.equal(v.action, "remap");
  assert.deepEqual(v.vocab, {
    axis: 0,
    matched: 4,
    new: 2,
    oov: 0,
    // A small table: its two partitions' rows are read in one window and kept in memory.
    read: { strategy: "memory", windows: 1, buckets: 2 },
  });
  assert.deepEqual(v.shape, [6, 2]);
  assert.equal(v.partitions, 2);
  assert.equal(v.bytes, 6 * 2 * 4);
  assert.equal(report.totals.remapped, 1);
  // 4 rows x 2 floats from OLD, 2 rows x 2 generated (constant 0.42).
  assert.equal(report.totals.bytesFromOld, 4 * 2 * 4);
  assert.equal(report.totals.bytesGenerated, 2 * 2 * 4);
  // The requests the job issued until its data was staged (the report is written with the
  // output, by the commit): reads of both checkpoints and vocabularies, the staged data shard.
  assert.ok(report.requests!.reads >= 4, JSON.stringify(report.requests));
  assert.ok(report.requests!.writes >= 1, JSON.stringify(report.requests));
});

Deno.test("dry run: same plan as the real run, and nothing written", async () => {
  const { spec, out } = await specOf("wsu_25_more_settings");
  const dry = await runWarmStart(spec, { store, dryRun: true });
  assert.equal(dry.dryRun, true);
  assert.ok(isEmptyTree(out), "a dry run writes nothing");
  const real = await runWarmStart(spec, { store });
  assert.deepEqual(dry.variables, real.variables);
  assert.deepEqual(dry.totals, real.totals);
  const actions = Object.fromEntries(real.variables.map((v) => [v.name, v.action]));
  assert.deepEqual(actions, {
    "linear_model/bias_weights": "keep",
    "linear_model/sc_hash/weights": "keep",
    "linear_model/sc_keys/weights": "copy",
    "linear_model/sc_vocab/weights": "remap",
  });
  const keys = real.variables.find((v) => v.name === "linear_model/sc_keys/weights")!;
  assert.equal(keys.source, "some_other_name");
});

Deno.test("a job that warm-starts nothing reproduces NEW's files byte for byte", async () => {
  const { spec, dir, out } = await specOf("wsu_26_more_settings_no_partitioning", {
    vars_to_warm_start: [],
    var_name_to_vocab_info: {},
    var_name_to_prev_var_name: {},
  });
  const report = await runWarmStart(spec, { store });
  assert.equal(report.totals.warmStarted, 0);
  for (const suffix of [".index", ".data-00000-of-00001", ".meta"]) {
    const ours = await Deno.readFile(`${out}/model-0${suffix}`);
    const theirs = await Deno.readFile(posix.join(dir, "new", `model-0${suffix}`));
    assert.deepEqual(ours, theirs, suffix);
  }
  assert.equal(
    await Deno.readTextFile(`${out}/checkpoint`),
    'model_checkpoint_path: "model-0"\nall_model_checkpoint_paths: "model-0"\n',
  );
});

Deno.test("output may not be an input checkpoint, however it is spelled", async () => {
  const { spec, dir, out } = await specOf("wsu_01_var");
  // The scenario is committed: work on a copy whose OLD we can also reach through a symlink.
  await Deno.mkdir(`${out}/old`);
  for (const e of Deno.readDirSync(posix.join(dir, "old"))) {
    await Deno.copyFile(posix.join(dir, "old", e.name), `${out}/old/${e.name}`);
  }
  await Deno.symlink(`${out}/old`, `${out}/alias`);
  const before = await Deno.readFile(`${out}/old/model-0.index`);
  const job = { ...spec, ckptToInitializeFrom: `${out}/old` };
  for (
    const output of [
      posix.join(dir, "new", "model-0"),
      `${out}/old/./model-0`,
      `${out}/old//model-0`,
      `file://${out}/old/model-0`,
      `${out}/alias/model-0`,
    ]
  ) {
    await assert.rejects(runWarmStart({ ...job, output }, { store }), /is the input checkpoint/);
  }
  assert.deepEqual(await Deno.readFile(`${out}/old/model-0.index`), before);
  assert.ok(Deno.statSync(`${out}/old/model-0.data-00000-of-00001`).isFile);
});

Deno.test("the checkpoint state file lists earlier outputs and names the new one latest", async () => {
  const { spec, out } = await specOf("wsu_01_var");
  await runWarmStart({ ...spec, output: `${out}/model-1` }, { store });
  await runWarmStart({ ...spec, output: `${out}/model-2` }, { store });
  const state = 'model_checkpoint_path: "model-2"\nall_model_checkpoint_paths: "model-1"\n' +
    'all_model_checkpoint_paths: "model-2"\n';
  assert.equal(await Deno.readTextFile(`${out}/checkpoint`), state);
  // Running a published job again is a no-op: nothing is rewritten, the state file included.
  const again = await runWarmStart({ ...spec, output: `${out}/model-1` }, { store });
  assert.equal(again.outcome, "already_published");
  assert.equal(await Deno.readTextFile(`${out}/checkpoint`), state);
});

Deno.test("files at the output this job did not write are refused, replaced only with overwrite", async () => {
  const { spec, out, dir } = await specOf("wsu_01_var");
  await Deno.writeTextFile(`${out}/model-0.meta`, "stale");
  await Deno.writeTextFile(`${out}/model-0.data-00001-of-00002`, "stale");
  await Deno.writeTextFile(`${out}/model-0.5.meta`, "another checkpoint's");
  const before = [...Deno.readDirSync(out)].map((e) => e.name).sort();
  await assert.rejects(runWarmStart(spec, { store }), JobConflictError);
  assert.deepEqual([...Deno.readDirSync(out)].map((e) => e.name).sort(), before);
  await runWarmStart({ ...spec, overwrite: true }, { store });
  const files = [...Deno.readDirSync(out)].map((e) => e.name).sort();
  assert.deepEqual(files, [
    ".warm_start",
    "checkpoint",
    "model-0.5.meta",
    "model-0.data-00000-of-00001",
    "model-0.index",
    "model-0.meta",
  ]);
  // The stale .meta was replaced by NEW's.
  assert.deepEqual(
    await Deno.readFile(`${out}/model-0.meta`),
    await Deno.readFile(posix.join(dir, "new", "model-0.meta")),
  );
});
