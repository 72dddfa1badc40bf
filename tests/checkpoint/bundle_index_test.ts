import assert from "node:assert/strict";
import {
  decodeBundleIndex,
  encodeBundleIndex,
  readBundleIndex,
} from "../../lib/checkpoint/bundle_index.ts";
import { dtypeName } from "../../lib/checkpoint/dtype.ts";
import { compareKeys, displayKey } from "../../lib/checkpoint/keys.ts";
import { indexLocation } from "../../lib/checkpoint/naming.ts";
import { parseSlice } from "../../lib/checkpoint/slice_geometry.ts";
import { CheckpointNotFoundError } from "../../lib/checkpoint/errors.ts";
import { ObjectTooLargeError } from "../../lib/storage/mod.ts";
import { localStore, recordingStore } from "../_stores.ts";
import { fixturePath, manifest, TF_FIXTURES } from "./_fixtures.ts";

Deno.test("readBundleIndex lists variables exactly like tf.train.list_variables (every fixture)", async () => {
  const store = localStore();
  const all = [...TF_FIXTURES, "snappy/keys", "snappy/parts"];
  for (const fx of all) {
    const m = fx.startsWith("snappy/")
      ? manifest.fixtures[
        manifest.fixtures.snappy[fx.slice(7)].source.startsWith("many") ? "many" : "sliced"
      ]
      : manifest.fixtures[fx];
    const prefix = fx.startsWith("snappy/") ? fx : m.prefix;
    const index = await readBundleIndex(store, fixturePath(prefix));
    const got = index.variables().map((e) => ({
      name: displayKey(e.key),
      dtype: dtypeName(e.dtype),
      shape: e.shape,
    }));
    const want = m.variables.map((v) => ({ name: v.name, dtype: v.dtype, shape: v.shape }));
    assert.deepEqual(got, want, fx);
  }
});

Deno.test("readBundleIndex reads the .index whole once (its size stat'ed first), no data file", async () => {
  const store = recordingStore(localStore());
  const index = await readBundleIndex(store, fixturePath(manifest.fixtures.many.prefix));
  assert.equal(index.entries.length, 12500);
  const location = indexLocation(fixturePath(manifest.fixtures.many.prefix));
  assert.deepEqual(store.requests.map((r) => [r.op, r.location]), [
    ["stat", location],
    ["read", location],
  ]);
});

Deno.test("readBundleIndex refuses an index above its cap before reading it", async () => {
  const store = recordingStore(localStore());
  const prefix = fixturePath(manifest.fixtures.many.prefix);
  await assert.rejects(
    readBundleIndex(store, prefix, { maxBytes: 1000 }),
    (e: unknown) => e instanceof ObjectTooLargeError && e.limit === 1000,
  );
  assert.deepEqual(store.requests.map((r) => r.op), ["stat"]);
});

Deno.test("BundleIndex: header, sorted entries, get and getSlice", async () => {
  const index = await readBundleIndex(localStore(), fixturePath(manifest.fixtures.sharded.prefix));
  assert.deepEqual(index.header, {
    numShards: 3,
    endianness: 0,
    version: { producer: 1, minConsumer: 0, badConsumers: [] },
  });
  assert.equal(index.get("b")!.shardId, 1);
  assert.equal(index.get("d")!.shardId, 2);
  assert.equal(index.get("missing"), undefined);
  const m = index.get("m")!;
  assert.deepEqual(m.slices, [parseSlice("0,2:-"), parseSlice("2,2:-")]);
  assert.equal(index.getSlice("m", parseSlice("0,2:-"))!.shardId, 0);
  assert.equal(index.getSlice("m", parseSlice("2,2:-"))!.shardId, 1);
  assert.equal(index.getSlice("m", parseSlice("1,2:-")), undefined);
  for (let i = 1; i < index.entries.length; i++) {
    const a = index.entries[i - 1].key;
    const b = index.entries[i].key;
    assert.ok(compareKeys(a, b) < 0);
  }
});

Deno.test("encodeBundleIndex reproduces every TF-written .index byte for byte", async () => {
  const store = localStore();
  for (const fx of TF_FIXTURES) {
    const prefix = fixturePath(manifest.fixtures[fx].prefix);
    const file = Deno.readFileSync(indexLocation(prefix));
    const index = decodeBundleIndex(prefix, file);
    // Shuffled input order must not matter.
    const shuffled = [...index.entries].reverse();
    assert.deepEqual(encodeBundleIndex(index.header, shuffled), file, fx);
    assert.deepEqual((await readBundleIndex(store, prefix)).entries.length, index.entries.length);
  }
});

Deno.test("readBundleIndex: missing index → CheckpointNotFoundError naming the file", async () => {
  await assert.rejects(readBundleIndex(localStore(), fixturePath("nope/ckpt")), (e: unknown) => {
    assert.ok(e instanceof CheckpointNotFoundError);
    assert.equal(e.location, fixturePath("nope/ckpt.index"));
    return true;
  });
});

Deno.test("encodeBundleIndex rejects duplicate keys", () => {
  const e = {
    key: new TextEncoder().encode("a"),
    dtype: 1,
    shape: [],
    shardId: 0,
    offset: 0,
    size: 4,
    crc32c: 1,
    slices: [],
  };
  assert.throws(
    () =>
      encodeBundleIndex(
        { numShards: 1, endianness: 0, version: { producer: 1, minConsumer: 0, badConsumers: [] } },
        [e, { ...e }],
      ),
    RangeError,
  );
});
