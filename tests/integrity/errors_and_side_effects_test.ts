/**
 * Bad input gets the right kind of error through the real CLI (a typed error, exit 2 for invalid
 * input and corrupt checkpoints, never a 500-class TypeError), and a job touches only files it
 * owns: foreign state files, outputs in an input's directory and files it did not write are
 * refused unless the spec says "overwrite"; a marker whose output was deleted is stale; likely
 * mistakes are warnings, or errors with "strict".
 */
import assert from "node:assert/strict";
import {
  BundleBuilder,
  readBundleIndex,
  readTensor,
  writeBundle,
} from "../../lib/checkpoint/mod.ts";
import { encodeBundleIndex } from "../../lib/checkpoint/bundle_index.ts";
import { FileStore } from "../../lib/storage/file_store.ts";
import { markerLocation } from "../../lib/warmstart/marker.ts";
import { startVersitygw } from "../storage/_servers.ts";
import { copySample, filesBelow, lastLog, runCli } from "./_jobs.ts";

const store = new FileStore();

async function withSample(fn: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "ws-errors-" });
  try {
    await copySample(dir);
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function patchSpec(dir: string, patch: Record<string, unknown>, name = "warm_start.json") {
  const spec = JSON.parse(await Deno.readTextFile(`${dir}/warm_start.json`));
  await Deno.writeTextFile(`${dir}/${name}`, JSON.stringify({ ...spec, ...patch }));
  return name;
}

function errorOf(
  stderr: string,
): { type: string; message: string; field?: string; retryable?: boolean } {
  return lastLog(stderr).error as {
    type: string;
    message: string;
    field?: string;
    retryable?: boolean;
  };
}

Deno.test("error kinds: bad locations are spec errors (exit 2), never TypeErrors", async () => {
  await withSample(async (dir) => {
    for (
      const [patch, field, message] of [
        [{ output: "merged/model\u0000.ckpt" }, "output", /control character/],
        [{ new_checkpoint: "s3:///x" }, "new_checkpoint", /not a valid location/],
        [{ output: "merged/" }, "output", /ends in `\/`/],
        [{ output: "s3://bucket/a//model" }, "output", /empty key segment/],
        [{ output: "s3://bucket" }, "output", /names a bucket/],
        [{ output: "merged/.." }, "output", /dot/],
      ] as const
    ) {
      const spec = await patchSpec(dir, patch, "bad.json");
      const r = await runCli(["warm-start", "--spec", spec], { cwd: dir });
      assert.equal(r.code, 2, `${JSON.stringify(patch)}: ${r.stderr}`);
      const e = errorOf(r.stderr);
      assert.equal(e.type, "SettingsError");
      assert.equal(e.field, field);
      assert.match(e.message, message);
    }
    assert.deepEqual(filesBelow(`${dir}/merged`), []);
  });
});

Deno.test("error kinds: a non-UTF-8 OLD key, a missing slice, an entry past its shard -> typed, exit 2", async () => {
  await withSample(async (dir) => {
    // OLD gains a tensor whose key is not UTF-8; a rename to a missing tensor lists OLD's keys.
    const oldPrefix = `${dir}/old/model.ckpt-100`;
    const old = await readBundleIndex(store, oldPrefix);
    const tensors = [];
    for (const e of old.variables()) {
      tensors.push({
        key: e.key,
        dtype: e.dtype,
        shape: e.shape,
        data: await readTensor(store, old, e.key),
      });
    }
    tensors.push({
      key: new Uint8Array([0xff, 0xfe, 0x41]),
      dtype: 1,
      shape: [1],
      data: new Uint8Array(4),
    });
    await writeBundle(store, oldPrefix, tensors);
    const renamed = await patchSpec(dir, {
      var_name_to_prev_var_name: { "dense/kernel": "dense/kernal" },
    }, "r.json");
    const r = await runCli(["warm-start", "--spec", renamed], { cwd: dir });
    assert.equal(r.code, 2, r.stderr);
    assert.equal(errorOf(r.stderr).type, "SettingsError");
    assert.match(
      errorOf(r.stderr).message,
      /Tensor dense\/kernal is not found.*0xfffe41.*Did you mean "dense\/kernel"/,
    );

    // A NEW entry that points past the end of its data shard: a corrupt checkpoint.
    const newPrefix = `${dir}/new/model.ckpt-1`;
    const nu = await readBundleIndex(store, newPrefix);
    const entries = nu.entries.map((e) =>
      e.key.length === 11 ? { ...e, offset: e.offset + 10_000 } : e
    );
    await Deno.writeFile(`${newPrefix}.index`, encodeBundleIndex(nu.header, entries));
    const past = await runCli(["warm-start", "--spec", "warm_start.json"], { cwd: dir });
    assert.equal(past.code, 2, past.stderr);
    assert.equal(errorOf(past.stderr).type, "CorruptCheckpointError");
    assert.match(errorOf(past.stderr).message, /points past the end/);
    assert.deepEqual(filesBelow(`${dir}/merged`), []);
  });
});

Deno.test("error kinds: a partitioned tensor without its slice entry -> TensorNotFoundError, exit 2", async () => {
  await withSample(async (dir) => {
    const b = new BundleBuilder();
    b.addSlice(
      "emb",
      1,
      [4, 2],
      [{ start: 0, length: 2 }, { start: 0, length: -1 }],
      new Uint8Array(16),
    );
    b.addSlice(
      "emb",
      1,
      [4, 2],
      [{ start: 2, length: 2 }, { start: 0, length: -1 }],
      new Uint8Array(16),
    );
    const oldPrefix = `${dir}/old/model.ckpt-100`;
    const old = await readBundleIndex(store, oldPrefix);
    for (const e of old.variables()) {
      if (e.key.length !== 3) {
        b.add({
          key: e.key,
          dtype: e.dtype,
          shape: e.shape,
          data: await readTensor(store, old, e.key),
        });
      }
    }
    await Deno.writeFile(`${oldPrefix}.data-00000-of-00001`, b.shardBytes(0));
    // The index lists two slices of emb but keeps only the first slice entry (slice keys start
    // with a 0 byte; the last one in key order is dropped).
    const sorted = b.sortedEntries();
    const lastSlice = sorted.findLastIndex((x) => x.key[0] === 0);
    const entries = sorted.filter((_, i) => i !== lastSlice);
    await Deno.writeFile(`${oldPrefix}.index`, encodeBundleIndex(b.header, entries));
    const r = await runCli(["warm-start", "--spec", "warm_start.json"], { cwd: dir });
    assert.equal(r.code, 2, r.stderr);
    assert.equal(errorOf(r.stderr).type, "TensorNotFoundError");
    assert.deepEqual(filesBelow(`${dir}/merged`), []);
  });
});

Deno.test({
  name: "error kinds: missing S3 credentials are not retryable",
  sanitizeOps: false,
  sanitizeResources: false,
}, async () => {
  const server = await startVersitygw({ buckets: ["nocreds"] });
  const home = await Deno.makeTempDir();
  try {
    const r = await runCli(["inspect", "s3://nocreds/x"], {
      env: {
        AWS_ENDPOINT_URL: server.endpoint,
        S3_FORCE_PATH_STYLE: "1",
        AWS_EC2_METADATA_DISABLED: "true",
        HOME: home,
      },
    });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /no AWS credentials found/);
  } finally {
    await server.stop();
  }
});

Deno.test("side effects: a foreign checkpoint state file and an input's directory are refused", async () => {
  await withSample(async (dir) => {
    // The output directory holds a training run's checkpoint file.
    await Deno.mkdir(`${dir}/merged`);
    const foreign = 'model_checkpoint_path: "model.ckpt-900"\n';
    await Deno.writeTextFile(`${dir}/merged/checkpoint`, foreign);
    const r = await runCli(["warm-start", "--spec", "warm_start.json"], { cwd: dir });
    assert.equal(r.code, 1, r.stderr);
    assert.equal(errorOf(r.stderr).type, "JobConflictError");
    assert.match(errorOf(r.stderr).message, /lists model\.ckpt-900/);
    assert.equal(await Deno.readTextFile(`${dir}/merged/checkpoint`), foreign);
    assert.deepEqual(filesBelow(`${dir}/merged`), ["checkpoint"]);
    // With overwrite the job updates it, like a TF save into that directory would.
    const over = await patchSpec(dir, { overwrite: true }, "over.json");
    assert.equal((await runCli(["warm-start", "--spec", over], { cwd: dir })).code, 0);
    assert.match(
      await Deno.readTextFile(`${dir}/merged/checkpoint`),
      /model_checkpoint_path: "model.ckpt-1"/,
    );
    // An output in the OLD checkpoint's directory would re-point OLD's own state file.
    const inOld = await patchSpec(dir, { output: "old/model.ckpt-merged" }, "in_old.json");
    const before = await Deno.readTextFile(`${dir}/old/checkpoint`);
    const r2 = await runCli(["warm-start", "--spec", inOld], { cwd: dir });
    assert.equal(r2.code, 1, r2.stderr);
    assert.match(errorOf(r2.stderr).message, /directory of an input checkpoint/);
    assert.equal(await Deno.readTextFile(`${dir}/old/checkpoint`), before);
    assert.ok(!filesBelow(`${dir}/old`).some((f) => f.includes("merged")));
  });
});

Deno.test("stale marker: an output deleted after publishing is published again, not 'already done'", async () => {
  await withSample(async (dir) => {
    assert.equal((await runCli(["warm-start", "--spec", "warm_start.json"], { cwd: dir })).code, 0);
    const again = await runCli(["warm-start", "--spec", "warm_start.json"], { cwd: dir });
    assert.equal(lastLog(again.stderr).phase, "already_done");
    for (const f of filesBelow(`${dir}/merged`)) {
      if (f.startsWith("model.ckpt-1.")) await Deno.remove(`${dir}/merged/${f}`);
    }
    assert.ok(filesBelow(`${dir}/merged`).includes(".warm_start/model.ckpt-1.done.json"));
    const rerun = await runCli(["warm-start", "--spec", "warm_start.json"], { cwd: dir });
    assert.equal(rerun.code, 0, rerun.stderr);
    assert.notEqual(lastLog(rerun.stderr).phase, "already_done");
    assert.ok(filesBelow(`${dir}/merged`).includes("model.ckpt-1.index"));
    const marker = JSON.parse(
      await Deno.readTextFile(markerLocation(`${dir}/merged/model.ckpt-1`)),
    );
    const index = marker.files.find((f: { location: string }) => f.location.endsWith(".index"));
    assert.equal(index.size, (await Deno.stat(`${dir}/merged/model.ckpt-1.index`)).size);
  });
});

Deno.test("warnings: a selection that warm-starts nothing is reported, and refused when strict", async () => {
  await withSample(async (dir) => {
    const none = await patchSpec(
      dir,
      { vars_to_warm_start: "denz.*", var_name_to_vocab_info: {} },
      "none.json",
    );
    const r = await runCli(["warm-start", "--spec", none, "--dry-run"], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout);
    assert.equal(report.warnings.length, 1);
    assert.match(report.warnings[0], /selected no variable/);
    const strict = await patchSpec(dir, {
      vars_to_warm_start: "denz.*",
      var_name_to_vocab_info: {},
      strict: true,
    }, "strict.json");
    const s = await runCli(["warm-start", "--spec", strict], { cwd: dir });
    assert.equal(s.code, 2, s.stderr);
    assert.match(errorOf(s.stderr).message, /strict/);
    assert.deepEqual(filesBelow(`${dir}/merged`), []);
    // OLD and NEW swapped: NEW has trained further (global_step 100 > 1). TF's own error (the
    // embedding's shape) gets the likely cause appended; a job that plans is warned.
    const swapped = {
      ckpt_to_initialize_from: "new/",
      new_checkpoint: "old/model.ckpt-100",
      output: "swapped/model.ckpt-100",
      var_name_to_vocab_info: {},
    };
    const failing = await runCli([
      "warm-start",
      "--spec",
      await patchSpec(dir, swapped, "sw1.json"),
    ], { cwd: dir });
    assert.equal(failing.code, 2, failing.stderr);
    assert.match(errorOf(failing.stderr).message, /^Shape of variable emb:0 .*wrong way round/);
    const dense = await patchSpec(dir, { ...swapped, vars_to_warm_start: "dense.*" }, "sw2.json");
    const w = await runCli(["warm-start", "--spec", dense, "--dry-run"], { cwd: dir });
    assert.equal(w.code, 0, w.stderr);
    assert.match(JSON.parse(w.stdout).warnings.join(" "), /wrong way round/);
  });
});
