import assert from "node:assert/strict";
import {
  type BundleIndex,
  decodeBundleIndex,
  readBundleIndex,
} from "../../lib/checkpoint/bundle_index.ts";
import { BundleBuilder } from "../../lib/checkpoint/bundle_writer.ts";
import { dtypeElementSize, dtypeFromName } from "../../lib/checkpoint/dtype.ts";
import { dataLocation } from "../../lib/checkpoint/naming.ts";
import { type ByteSpan, locateRows } from "../../lib/checkpoint/row_locator.ts";
import { CorruptCheckpointError, NotFoundError, UnsupportedError } from "../../lib/errors.ts";
import { localStore } from "./_local_store.ts";
import { fixturePath, manifest, type ManifestVariable, toHexString } from "./_fixtures.ts";

function gather(index: BundleIndex, spans: ByteSpan[]): string {
  let hex = "";
  for (const s of spans) {
    const file = Deno.readFileSync(dataLocation(index.prefix, s.shardId, index.header.numShards));
    assert.ok(s.offset + s.length <= file.length);
    hex += toHexString(file.subarray(s.offset, s.offset + s.length));
  }
  return hex;
}

function rowHex(v: ManifestVariable, start: number, count: number): string {
  const elem = dtypeElementSize(dtypeFromName(v.dtype))!;
  const rowBytes = v.shape.slice(1).reduce((p, d) => p * d, 1) * elem;
  return v.hex!.slice(2 * start * rowBytes, 2 * (start + count) * rowBytes);
}

function assertMerged(spans: ByteSpan[]): void {
  for (let i = 1; i < spans.length; i++) {
    const a = spans[i - 1];
    const b = spans[i];
    assert.ok(!(a.shardId === b.shardId && a.offset + a.length === b.offset), "unmerged spans");
    assert.ok(b.length > 0);
  }
}

Deno.test("locateRows: every row range of every fixed-width tensor equals TF's rows (plain, axis 0, axis 1, both, rank 3, sharded)", async () => {
  const store = localStore();
  let checked = 0;
  for (const fx of ["tf1", "tf2", "dtypes", "sliced", "sharded"]) {
    const index = await readBundleIndex(store, fixturePath(manifest.fixtures[fx].prefix));
    for (const v of manifest.fixtures[fx].variables) {
      if (v.hex === undefined) continue;
      const rows = v.shape.length === 0 ? 1 : v.shape[0];
      const step = rows > 20 ? 97 : 1;
      for (let start = 0; start <= rows; start += step) {
        for (let count = 0; start + count <= rows; count += step) {
          const spans = locateRows(index, v.name, start, count);
          assert.equal(
            gather(index, spans),
            rowHex(v, start, count),
            `${fx} ${v.name} [${start}, +${count})`,
          );
          assertMerged(spans);
          checked++;
        }
      }
    }
  }
  assert.ok(checked > 500, `${checked}`);
});

Deno.test("locateRows: span structure for partitioned tensors", async () => {
  const index = await readBundleIndex(localStore(), fixturePath(manifest.fixtures.sliced.prefix));
  // grid [4,6] split along both axes: each row is two runs (one per column block).
  assert.equal(locateRows(index, "grid", 0, 2).length, 4);
  assert.equal(locateRows(index, "grid", 1, 1).length, 2);
  // rows [5,3] split along axis 0 (2 + 3 rows): rows 1..3 come from both slices.
  const rowsSpans = locateRows(index, "rows", 1, 3);
  const s0 = index.getSlice("rows", [{ start: 0, length: 2 }, { start: 0, length: -1 }])!;
  const s1 = index.getSlice("rows", [{ start: 2, length: 3 }, { start: 0, length: -1 }])!;
  const expected = [
    { shardId: 0, offset: s0.offset + 24, length: 24 },
    { shardId: 0, offset: s1.offset, length: 48 },
  ];
  if (s0.offset + s0.size === s1.offset) {
    assert.deepEqual(rowsSpans, [{ shardId: 0, offset: s0.offset + 24, length: 72 }]);
  } else {
    assert.deepEqual(rowsSpans, expected);
  }
  // cube [2,3,4] split along axis 1: a row is 2 runs (1×4 and 2×4 elements).
  assert.deepEqual(locateRows(index, "cube", 1, 1).map((s) => s.length), [8, 16]);
  // 1-D vec: a row is one element.
  assert.deepEqual(locateRows(index, "vec", 3, 2).map((s) => s.length), [8, 8]);
  // An unpartitioned tensor is one span.
  const plain = index.get("plain")!;
  assert.deepEqual(locateRows(index, "plain", 1, 1), [{
    shardId: 0,
    offset: plain.offset + 4,
    length: 4,
  }]);
});

Deno.test("locateRows: TF1 partitioned variables (fixed_size_partitioner axis 0 and axis 1)", async () => {
  const index = await readBundleIndex(localStore(), fixturePath(manifest.fixtures.tf1.prefix));
  // emb [5,3] in 2 parts along axis 0; wide [4,6] in 3 parts along axis 1.
  assert.equal(index.get("emb")!.slices.length, 2);
  assert.equal(index.get("wide")!.slices.length, 3);
  assert.equal(locateRows(index, "wide", 2, 1).length, 3);
  assert.equal(locateRows(index, "emb", 2, 2).length <= 2, true);
});

Deno.test("locateRows: typed errors for strings, variants, unknown names, bad ranges, missing slices", async () => {
  const store = localStore();
  const dt = await readBundleIndex(store, fixturePath(manifest.fixtures.dtypes.prefix));
  assert.throws(() => locateRows(dt, "string/vector", 0, 1), UnsupportedError);
  assert.throws(() => locateRows(dt, "variant/tensor_list", 0, 1), UnsupportedError);
  assert.throws(() => locateRows(dt, "nope", 0, 1), NotFoundError);
  assert.throws(() => locateRows(dt, "float32/matrix", 1, 2), RangeError);
  assert.throws(() => locateRows(dt, "float32/matrix", -1, 1), RangeError);
  assert.deepEqual(locateRows(dt, "float32/empty", 0, 0), []);
  const scalar = dt.get("float32/scalar")!;
  assert.deepEqual(locateRows(dt, "float32/scalar", 0, 1), [{
    shardId: 0,
    offset: scalar.offset,
    length: 4,
  }]);
  // A partitioned tensor whose slice entry is gone.
  const sl = await readBundleIndex(store, fixturePath(manifest.fixtures.sliced.prefix));
  const missing: BundleIndex = { ...sl, getSlice: () => undefined };
  assert.throws(() => locateRows(missing, "grid", 0, 1), NotFoundError);
});

Deno.test("locateRows: partitions with a hole or overlapping slices → CorruptCheckpointError", () => {
  const b = new BundleBuilder();
  // [4,2] float32 with rows 0..1 and 3 only: row 2 has no slice.
  b.addSlice(
    "holey",
    1,
    [4, 2],
    [{ start: 0, length: 2 }, { start: 0, length: -1 }],
    new Uint8Array(16),
  );
  b.addSlice(
    "holey",
    1,
    [4, 2],
    [{ start: 3, length: 1 }, { start: 0, length: -1 }],
    new Uint8Array(8),
  );
  // [2,4] with overlapping column blocks 0..2 and 1..3.
  b.addSlice(
    "overlap",
    1,
    [2, 4],
    [{ start: 0, length: -1 }, { start: 0, length: 2 }],
    new Uint8Array(16),
  );
  b.addSlice(
    "overlap",
    1,
    [2, 4],
    [{ start: 0, length: -1 }, { start: 1, length: 3 }],
    new Uint8Array(24),
  );
  const index = decodeBundleIndex("/mem/x", b.indexBytes());
  assert.equal(locateRows(index, "holey", 0, 2).length, 1);
  assert.equal(locateRows(index, "holey", 3, 1).length, 1);
  assert.throws(() => locateRows(index, "holey", 1, 2), (e: unknown) => {
    assert.ok(e instanceof CorruptCheckpointError);
    assert.match(e.message, /sufficient slices/);
    assert.deepEqual([e.expected, e.actual], [2, 0]);
    return true;
  });
  assert.throws(() => locateRows(index, "overlap", 0, 1), /Overlapping slices/);
});
