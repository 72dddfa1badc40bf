import assert from "node:assert/strict";
import { readBundleIndex } from "../../lib/checkpoint/bundle_index.ts";
import { DT_STRING, DT_VARIANT, numElements } from "../../lib/checkpoint/dtype.ts";
import { dataLocation } from "../../lib/checkpoint/naming.ts";
import { decodeStringTensor } from "../../lib/checkpoint/string_tensor.ts";
import { readTensor, readTensorBytes } from "../../lib/checkpoint/mod.ts";
import { TensorNotFoundError, UnsupportedError } from "../../lib/checkpoint/errors.ts";
import { localStore, recordingStore } from "../_stores.ts";
import { fixturePath, fromBase64, manifest, TF_FIXTURES, toHexString } from "./_fixtures.ts";

Deno.test("readTensor returns TF's bytes for every tensor of every fixture (incl. sliced, sharded, snappy)", async () => {
  const store = localStore();
  let compared = 0;
  const cases: Array<[string, string]> = TF_FIXTURES.map((
    fx,
  ) => [fx, manifest.fixtures[fx].prefix]);
  cases.push(["many", "snappy/keys"], ["sliced", "snappy/parts"]);
  for (const [fx, prefix] of cases) {
    const index = await readBundleIndex(store, fixturePath(prefix));
    for (const v of manifest.fixtures[fx].variables) {
      const entry = index.get(v.name)!;
      if (v.hex === undefined && v.strings === undefined) {
        if (v.dtype === "variant") {
          // Carried as opaque bytes: readable with a valid CRC.
          assert.equal(entry.dtype, DT_VARIANT);
          assert.ok((await readTensor(store, index, v.name)).length > 0);
        }
        continue;
      }
      const bytes = await readTensor(store, index, v.name);
      if (v.strings) {
        assert.equal(entry.dtype, DT_STRING);
        const got = decodeStringTensor(bytes, numElements(entry.shape));
        assert.deepEqual(got.map((s) => [...s]), v.strings.map((s) => [...fromBase64(s)]), v.name);
      } else {
        assert.equal(toHexString(bytes), v.hex, `${prefix} ${v.name}`);
      }
      compared++;
    }
  }
  assert.ok(compared > 80, `${compared}`);
});

Deno.test("readTensorBytes: one stat per shard and one exact range read per tensor", async () => {
  const store = recordingStore(localStore());
  const prefix = fixturePath(manifest.fixtures.dtypes.prefix);
  const index = await readBundleIndex(store, prefix);
  store.requests.length = 0;
  const a = index.get("float32/matrix")!;
  const b = index.get("int64/vector")!;
  await readTensorBytes(store, index, a);
  await readTensorBytes(store, index, b);
  const data = dataLocation(prefix, 0, 1);
  assert.deepEqual(store.requests, [
    { op: "stat", location: data },
    { op: "readRange", location: data, range: { offset: a.offset, length: a.size } },
    { op: "readRange", location: data, range: { offset: b.offset, length: b.size } },
  ]);
});

Deno.test("readTensor of a partitioned tensor reads only its slices' ranges", async () => {
  const store = recordingStore(localStore());
  const index = await readBundleIndex(store, fixturePath(manifest.fixtures.sharded.prefix));
  store.requests.length = 0;
  const bytes = await readTensor(store, index, "m");
  assert.deepEqual(Array.from(new Float32Array(bytes.buffer)), [0, 1, 2, 3, 4, 5, 6, 7]);
  const ranges = store.requests.filter((r) => r.op === "readRange");
  assert.equal(ranges.length, 2);
  assert.ok(ranges.every((r) => r.range!.length === 16));
  assert.ok(!store.requests.some((r) => r.op === "read"));
});

Deno.test("readTensor: unknown key → TensorNotFoundError; full entry via readTensorBytes → UnsupportedError", async () => {
  const store = localStore();
  const index = await readBundleIndex(store, fixturePath(manifest.fixtures.sliced.prefix));
  await assert.rejects(readTensor(store, index, "nope"), TensorNotFoundError);
  await assert.rejects(readTensorBytes(store, index, index.get("grid")!), UnsupportedError);
});
