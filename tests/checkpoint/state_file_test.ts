import assert from "node:assert/strict";
import {
  formatCheckpointState,
  parseCheckpointState,
  resolveCheckpointPrefix,
  writeCheckpointState,
} from "../../lib/checkpoint/state_file.ts";
import { CheckpointNotFoundError, CorruptCheckpointError } from "../../lib/checkpoint/errors.ts";
import { localStore, MemoryStore } from "../_stores.ts";
import { fixturePath, manifest } from "./_fixtures.ts";

Deno.test("parseCheckpointState/formatCheckpointState: TF's CheckpointManager file round-trips byte for byte", () => {
  const text = manifest.fixtures.managed.state_text!;
  const state = parseCheckpointState(text);
  assert.equal(state.modelCheckpointPath, "ckpt-2");
  assert.deepEqual(state.allModelCheckpointPaths, ["ckpt-2"]);
  assert.equal(state.allModelCheckpointTimestamps.length, 1);
  assert.equal(formatCheckpointState(state), text);
  const tf1 = Deno.readTextFileSync(fixturePath("tf1/checkpoint"));
  assert.equal(formatCheckpointState(parseCheckpointState(tf1)), tf1);
  const tf2 = Deno.readTextFileSync(fixturePath("tf2/checkpoint"));
  assert.equal(formatCheckpointState(parseCheckpointState(tf2)), tf2);
});

Deno.test("formatCheckpointState escapes like Python text_format (bytes written by TF 2.21)", () => {
  const state = {
    modelCheckpointPath: 'ckpt é "q"\\x\t-1',
    allModelCheckpointPaths: [],
    allModelCheckpointTimestamps: [],
  };
  const text = formatCheckpointState(state);
  assert.deepEqual(
    new TextEncoder().encode(text),
    new TextEncoder().encode('model_checkpoint_path: "ckpt \u00e9 \\"q\\"\\\\x\\t-1"\n'),
  );
  assert.deepEqual(parseCheckpointState(text).modelCheckpointPath, state.modelCheckpointPath);
  assert.equal(
    formatCheckpointState({
      ...state,
      modelCheckpointPath: "a",
      allModelCheckpointTimestamps: [1795867559.7964993, 3],
    }),
    'model_checkpoint_path: "a"\nall_model_checkpoint_timestamps: 1795867559.7964993\nall_model_checkpoint_timestamps: 3.0\n',
  );
  // Octal escapes from other writers.
  assert.equal(
    parseCheckpointState('model_checkpoint_path: "a\\001\\303\\251"').modelCheckpointPath,
    "a\u0001\u00e9",
  );
  assert.throws(() => parseCheckpointState("bogus_field: 1"), CorruptCheckpointError);
  assert.throws(
    () => parseCheckpointState("model_checkpoint_path: unquoted"),
    CorruptCheckpointError,
  );
});

Deno.test("resolveCheckpointPrefix: prefix, directory (relative path), trailing slash — like tf.train.latest_checkpoint", async () => {
  const store = localStore();
  const tf1 = fixturePath(manifest.fixtures.tf1.prefix);
  assert.equal(await resolveCheckpointPrefix(store, tf1), tf1);
  assert.equal(await resolveCheckpointPrefix(store, fixturePath("tf1")), tf1);
  assert.equal(await resolveCheckpointPrefix(store, fixturePath("tf1/")), tf1);
  assert.equal(
    await resolveCheckpointPrefix(store, fixturePath("managed")),
    fixturePath(manifest.fixtures.managed.latest_checkpoint!),
  );
});

Deno.test("resolveCheckpointPrefix: absolute paths in the state file and s3 locations", async () => {
  const store = new MemoryStore();
  await store.put("/abs/dir/tf1abs/model.ckpt.index", new Uint8Array(1));
  await writeCheckpointState(store, "/other", {
    modelCheckpointPath: "/abs/dir/tf1abs/model.ckpt",
    allModelCheckpointPaths: ["/abs/dir/tf1abs/model.ckpt"],
    allModelCheckpointTimestamps: [],
  });
  assert.equal(await resolveCheckpointPrefix(store, "/other"), "/abs/dir/tf1abs/model.ckpt");
  await store.put("s3://b/run/ckpt-3.index", new Uint8Array(1));
  await writeCheckpointState(store, "s3://b/run", {
    modelCheckpointPath: "ckpt-3",
    allModelCheckpointPaths: ["ckpt-3"],
    allModelCheckpointTimestamps: [],
  });
  assert.equal(await resolveCheckpointPrefix(store, "s3://b/run"), "s3://b/run/ckpt-3");
  assert.equal(
    new TextDecoder().decode(store.objects.get("s3://b/run/checkpoint")),
    'model_checkpoint_path: "ckpt-3"\nall_model_checkpoint_paths: "ckpt-3"\n',
  );
});

Deno.test("resolveCheckpointPrefix: nothing there / stale state / empty path → typed errors that say what to do", async () => {
  const store = new MemoryStore();
  await assert.rejects(resolveCheckpointPrefix(store, "/nothing"), (e: unknown) => {
    assert.ok(e instanceof CheckpointNotFoundError);
    assert.match(e.message, /neither \/nothing\.index nor \/nothing\/checkpoint exists/);
    assert.match(e.message, /Pass a checkpoint prefix/);
    return true;
  });
  await store.put("/d/checkpoint", new TextEncoder().encode('model_checkpoint_path: "gone-1"\n'));
  await assert.rejects(resolveCheckpointPrefix(store, "/d"), (e: unknown) => {
    assert.ok(e instanceof CheckpointNotFoundError);
    assert.equal(e.location, "/d/gone-1.index");
    return true;
  });
  await store.put("/e/checkpoint", new TextEncoder().encode('all_model_checkpoint_paths: "x"\n'));
  await assert.rejects(resolveCheckpointPrefix(store, "/e"), CorruptCheckpointError);
});
