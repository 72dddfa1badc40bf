import assert from "node:assert/strict";
import { readTrainableVariables } from "../../lib/checkpoint/meta_graph.ts";
import { CorruptCheckpointError } from "../../lib/checkpoint/errors.ts";
import { fixturePath, manifest } from "./_fixtures.ts";

Deno.test("readTrainableVariables: TF1 .meta → trainable names, partitions grouped under full names", () => {
  const bytes = Deno.readFileSync(fixturePath(manifest.fixtures.tf1.meta!));
  const names = readTrainableVariables(bytes);
  assert.deepEqual(names, manifest.fixtures.tf1.trainable);
  assert.deepEqual(names, ["dense/kernel", "dense/bias", "emb", "wide"]);
  // Non-trainable variables of the same graph are not listed.
  assert.ok(!names.includes("global_step"));
  assert.ok(!names.includes("counter"));
});

Deno.test("readTrainableVariables: garbage → CorruptCheckpointError; no collection → []", () => {
  assert.throws(
    () => readTrainableVariables(new Uint8Array([0x22, 0xff, 0xff]), "x.meta"),
    CorruptCheckpointError,
  );
  assert.deepEqual(readTrainableVariables(new Uint8Array(0)), []);
});
