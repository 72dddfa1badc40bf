import assert from "node:assert/strict";
import { BundleBuilder, stringTensor, writeBundle } from "../../lib/checkpoint/bundle_writer.ts";
import { readBundleIndex } from "../../lib/checkpoint/bundle_index.ts";
import { readTensor, readTensorBytes } from "../../lib/checkpoint/mod.ts";
import { decodeSliceKey, isSliceKey } from "../../lib/checkpoint/slice_key.ts";
import { dataLocation, indexLocation } from "../../lib/checkpoint/naming.ts";
import { decodeStringTensor } from "../../lib/checkpoint/string_tensor.ts";
import { DT_FLOAT, DT_INT64 } from "../../lib/checkpoint/dtype.ts";
import { parseSlice } from "../../lib/checkpoint/slice_geometry.ts";
import { localStore, MemoryStore } from "../_stores.ts";
import { fixturePath, manifest, TF_FIXTURES, toHexString } from "./_fixtures.ts";
import { rewriteBundle } from "./_rewrite.ts";

Deno.test("rewriting every TF fixture in data order reproduces its .index and data files byte for byte", async () => {
  const src = localStore();
  for (const fx of TF_FIXTURES) {
    const prefix = fixturePath(manifest.fixtures[fx].prefix);
    const out = new MemoryStore();
    const index = await rewriteBundle(src, prefix, out, "/out/ckpt");
    assert.deepEqual(
      out.objects.get("/out/ckpt.index"),
      Deno.readFileSync(indexLocation(prefix)),
      fx,
    );
    for (let s = 0; s < index.header.numShards; s++) {
      const n = index.header.numShards;
      assert.deepEqual(
        out.objects.get(dataLocation("/out/ckpt", s, n)),
        Deno.readFileSync(dataLocation(prefix, s, n)),
        `${fx} shard ${s}`,
      );
    }
  }
});

Deno.test("writeBundle → readBundleIndex/readTensor round-trip (plain, strings, slices, 2 shards)", async () => {
  const store = new MemoryStore();
  const f32 = (xs: number[]) => new Uint8Array(new Float32Array(xs).buffer);
  await writeBundle(store, "/w/ckpt", [
    { key: "b", dtype: DT_FLOAT, shape: [2], data: f32([1, 2]) },
    {
      key: "a",
      dtype: DT_INT64,
      shape: [],
      data: new Uint8Array(new BigInt64Array([-5n]).buffer),
      shardId: 1,
    },
    stringTensor("s", [3], ["x", "", "\u00e9"].map((s) => new TextEncoder().encode(s))),
    {
      key: "p",
      dtype: DT_FLOAT,
      shape: [3, 2],
      slices: [
        { slice: parseSlice("0,1:-"), data: f32([1, 2]) },
        { slice: parseSlice("1,2:-"), data: f32([3, 4, 5, 6]), shardId: 1 },
      ],
    },
  ], { numShards: 2 });
  const index = await readBundleIndex(store, "/w/ckpt");
  assert.deepEqual(index.variables().map((e) => new TextDecoder().decode(e.key)), [
    "a",
    "b",
    "p",
    "s",
  ]);
  assert.equal(index.entries.filter((e) => isSliceKey(e.key)).length, 2);
  assert.deepEqual(decodeSliceKey(index.entries[0].key).slice, parseSlice("0,1:-"));
  assert.deepEqual(
    new Float32Array((await readTensor(store, index, "p")).buffer),
    new Float32Array([1, 2, 3, 4, 5, 6]),
  );
  assert.equal(new BigInt64Array((await readTensor(store, index, "a")).slice().buffer)[0], -5n);
  const s = decodeStringTensor(await readTensor(store, index, "s"), 3);
  assert.deepEqual(s.map((x) => new TextDecoder().decode(x)), ["x", "", "\u00e9"]);
  // Data order is Add order: b at 0 in shard 0, p's first slice right after it.
  assert.equal(index.get("b")!.offset, 0);
  assert.equal(
    toHexString(store.objects.get("/w/ckpt.data-00000-of-00002")!.subarray(0, 8)),
    "0000803f00000040",
  );
  for (const e of index.entries.filter((e) => e.slices.length === 0)) {
    await readTensorBytes(store, index, e);
  }
});

Deno.test("BundleBuilder rejects mismatched sizes, duplicates, bad shards", () => {
  const b = new BundleBuilder();
  assert.throws(
    () => b.add({ key: "x", dtype: DT_FLOAT, shape: [2], data: new Uint8Array(4) }),
    RangeError,
  );
  b.add({ key: "x", dtype: DT_FLOAT, shape: [1], data: new Uint8Array(4) });
  assert.throws(
    () => b.add({ key: "x", dtype: DT_FLOAT, shape: [1], data: new Uint8Array(4) }),
    RangeError,
  );
  assert.throws(
    () => b.add({ key: "y", dtype: DT_FLOAT, shape: [1], data: new Uint8Array(4), shardId: 1 }),
    RangeError,
  );
  assert.throws(
    () => b.add({ key: "", dtype: DT_FLOAT, shape: [1], data: new Uint8Array(4) }),
    RangeError,
  );
});
