import assert from "node:assert/strict";
import * as posix from "node:path/posix";
import { readBundleIndex } from "../../lib/checkpoint/bundle_index.ts";
import { readTensorBytes } from "../../lib/checkpoint/entry_reader.ts";
import { FileStore } from "../../lib/storage/file_store.ts";
import type { Report } from "../../lib/warmstart/types.ts";
import { runCli } from "../function/_main_process.ts";
import { runPython } from "./_python.ts";

// Checkpoints written by Keras 3 and tf-keras (tests/oracle/make_keras_fixtures.py): Embedding +
// Dense models with a built, trained optimizer and a grown vocabulary. The expected values are
// TF's own warm_start; the merged checkpoint must restore into the NEW Keras model.
const ROOT = new URL("../fixtures/data/keras/", import.meta.url).pathname;
const CASES = [...Deno.readDirSync(ROOT)].filter((e) => e.isDirectory && e.name !== "files")
  .map((e) => e.name).sort();

interface Scenario {
  trainable: string[];
  not_trainable: string[];
  old_vocab: string[];
  new_vocab: string[];
}

/** The case's spec with absolute locations and the output in `out`. */
async function specFile(dir: string, out: string): Promise<string> {
  const spec = JSON.parse(await Deno.readTextFile(`${dir}/spec.json`));
  const abs = (p: string) => posix.join(dir, p);
  spec.ckpt_to_initialize_from = abs(spec.ckpt_to_initialize_from);
  spec.new_checkpoint = abs(spec.new_checkpoint);
  spec.output = `${out}/ckpt`;
  for (const vi of Object.values(spec.var_name_to_vocab_info) as Record<string, string>[]) {
    vi.new_vocab = abs(vi.new_vocab);
    vi.old_vocab = abs(vi.old_vocab);
  }
  const file = `${out}/job.json`;
  await Deno.writeTextFile(file, JSON.stringify(spec));
  return file;
}

Deno.test("Keras fixtures are present (Keras 3 and tf-keras)", () => {
  assert.ok(CASES.some((c) => c.startsWith("keras3_")) && CASES.some((c) => c.startsWith("tf_")));
});

Deno.test("Keras checkpoints: '.*' warm-starts the model only, like TF, and Keras restores it", async (t) => {
  const out = await Deno.makeTempDir({ prefix: "ws-keras-" });
  const merged: string[] = [];
  try {
    for (const name of CASES) {
      const dir = posix.join(ROOT, name);
      const scenario: Scenario = JSON.parse(await Deno.readTextFile(`${dir}/scenario.json`));
      await t.step(`${name}: the CLI's output equals TF's warm_start`, async () => {
        await Deno.mkdir(`${out}/${name}`);
        const r = await runCli(["warm-start", "--spec", await specFile(dir, `${out}/${name}`)]);
        assert.equal(r.code, 0, r.stderr);
        const report: Report = JSON.parse(r.stdout);

        // Trainable model variables come from OLD; optimizer state and counters stay NEW's.
        const actions = Object.fromEntries(report.variables.map((v) => [v.name, v.action]));
        for (const n of scenario.trainable) assert.notEqual(actions[n], "keep", n);
        for (const n of scenario.not_trainable) assert.equal(actions[n], "keep", n);
        assert.deepEqual(
          Object.keys(actions).sort(),
          [...scenario.trainable, ...scenario.not_trainable].sort(),
        );

        // Every tensor equals TF's own warm_start result, byte for byte.
        const store = new FileStore();
        const expected = await readBundleIndex(store, `${dir}/expected/model`);
        const actual = await readBundleIndex(store, `${out}/${name}/ckpt`);
        for (const v of report.variables) {
          const e = expected.get(v.name), a = actual.get(v.key);
          assert.ok(e && a, v.name);
          assert.deepEqual(
            await readTensorBytes(store, actual, a),
            await readTensorBytes(store, expected, e),
            `${v.name} differs from TF's warm_start`,
          );
        }
        merged.push(dir, `${out}/${name}/ckpt`);
      });
    }
    // Keras restores each into the NEW model (optimizer built) and finds every object.
    assert.equal(merged.length, 2 * CASES.length);
    const lines = (await runPython("tests/oracle/keras_restore.py", "", merged)).trim().split("\n");
    assert.equal(lines.length, CASES.length);
    for (const [i, name] of CASES.entries()) {
      const scenario: Scenario = JSON.parse(
        await Deno.readTextFile(posix.join(ROOT, name, "scenario.json")),
      );
      const restored = JSON.parse(lines[i]);
      assert.equal(restored.existing_objects_matched, true, `${name}: ${restored.assertion}`);
      assert.equal(restored.consumed, true, `${name}: ${restored.assertion}`);
      assert.deepEqual(restored.mismatches, [], name);
      assert.ok(restored.compared >= scenario.trainable.length + 2, name);
      for (const n of restored.kept_from_new) assert.ok(scenario.not_trainable.includes(n), n);
      assert.ok(
        restored.kept_from_new.some((n: string) => /iter/.test(n)),
        `${name}: iteration kept`,
      );
      assert.deepEqual(
        restored.embedding_rows,
        scenario.new_vocab.map((tok) => scenario.old_vocab.includes(tok) ? "old" : "backup"),
        name,
      );
    }
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("Keras .weights.h5 and .keras files: a typed error saying how to save a TF checkpoint", async () => {
  const sample = posix.join(ROOT, "keras3_sequential_adam");
  for (const file of ["model.weights.h5", "model.keras"]) {
    for (const field of ["ckpt_to_initialize_from", "new_checkpoint"]) {
      const out = await Deno.makeTempDir({ prefix: "ws-keras-file-" });
      try {
        const spec = {
          ckpt_to_initialize_from: `${sample}/old/ckpt`,
          new_checkpoint: `${sample}/new/ckpt`,
          output: `${out}/merged/ckpt`,
          [field]: posix.join(ROOT, "files", file),
        };
        await Deno.writeTextFile(`${out}/job.json`, JSON.stringify(spec));
        const r = await runCli(["warm-start", "--spec", `${out}/job.json`, "--log-format", "json"]);
        assert.equal(r.code, 2, r.stderr);
        const line = r.stderr.trim().split("\n").filter((l) => l.includes('"error"')).at(-1)!;
        const error = JSON.parse(line).error;
        assert.equal(error.code, "keras_file");
        assert.equal(error.field, field);
        assert.match(error.message, /tf\.train\.Checkpoint\(model=model\)\.write\(/);
        assert.match(error.message, file.endsWith(".h5") ? /HDF5/ : /zip/);
        assert.deepEqual([...Deno.readDirSync(out)].map((e) => e.name), ["job.json"]);
      } finally {
        await Deno.remove(out, { recursive: true });
      }
    }
    const r = await runCli(["inspect", posix.join(ROOT, "files", file)]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /tf\.train\.Checkpoint\(model=model\)\.write\(/);
  }
});
