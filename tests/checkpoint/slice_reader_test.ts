import assert from "node:assert/strict";
import {
  type BundleIndex,
  decodeBundleIndex,
  readBundleIndex,
} from "../../lib/checkpoint/bundle_index.ts";
import { BundleBuilder } from "../../lib/checkpoint/bundle_writer.ts";
import { dtypeElementSize, dtypeFromName } from "../../lib/checkpoint/dtype.ts";
import { dataLocation } from "../../lib/checkpoint/naming.ts";
import {
  type ByteSpan,
  fullBox,
  locateRows,
  readBox,
  readRows,
} from "../../lib/checkpoint/slice_reader.ts";
import {
  CorruptCheckpointError,
  TensorNotFoundError,
  UnsupportedError,
} from "../../lib/checkpoint/errors.ts";
import { jobStore } from "../../lib/storage/job_store.ts";
import { localStore, recordingStore } from "../_stores.ts";
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
  assert.throws(() => locateRows(dt, "nope", 0, 1), TensorNotFoundError);
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
  assert.throws(() => locateRows(missing, "grid", 0, 1), TensorNotFoundError);
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

/** The row-major bytes (hex) of `box` cut out of a tensor's full row-major bytes (hex). */
function boxHex(v: ManifestVariable, start: number[], length: number[]): string {
  const elem = dtypeElementSize(dtypeFromName(v.dtype))!;
  const rank = v.shape.length;
  if (rank === 0) return v.hex!;
  const stride = new Array<number>(rank).fill(1);
  for (let d = rank - 2; d >= 0; d--) stride[d] = stride[d + 1] * v.shape[d + 1];
  let out = "";
  const idx = new Array<number>(rank).fill(0);
  const total = length.reduce((p, l) => p * l, 1);
  for (let n = 0; n < total; n++) {
    let at = 0;
    for (let d = 0; d < rank; d++) at += (start[d] + idx[d]) * stride[d];
    out += v.hex!.slice(2 * at * elem, 2 * (at + 1) * elem);
    for (let d = rank - 1; d >= 0; d--) {
      if (++idx[d] < length[d]) break;
      idx[d] = 0;
    }
  }
  return out;
}

/** A small deterministic generator, so failures are reproducible. */
function lcg(seed: number): () => number {
  let x = seed >>> 0;
  return () => (x = (Math.imul(x, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

Deno.test("readBox: random blocks of every fixed-width tensor equal TF's values (every partitioning)", async () => {
  const store = localStore();
  const random = lcg(7);
  let checked = 0;
  for (const fx of ["tf1", "tf2", "dtypes", "sliced", "sharded"]) {
    const index = await readBundleIndex(store, fixturePath(manifest.fixtures[fx].prefix));
    for (const v of manifest.fixtures[fx].variables) {
      if (v.hex === undefined || dtypeElementSize(dtypeFromName(v.dtype)) === undefined) continue;
      for (let k = 0; k < 12; k++) {
        const start = v.shape.map((d) => Math.floor(random() * (d + 1)));
        const length = v.shape.map((d, i) => Math.floor(random() * (d - start[i] + 1)));
        const got = await readBox(store, index, v.name, { start, length });
        assert.equal(
          toHexString(got),
          boxHex(v, start, length),
          `${fx} ${v.name} ${start}+${length}`,
        );
        checked++;
      }
      // The whole tensor is the full box (and every piece read whole is CRC-checked).
      const whole = await readBox(store, index, v.name, fullBox(v.shape));
      assert.equal(toHexString(whole), v.hex, `${fx} ${v.name} whole`);
    }
  }
  assert.ok(checked > 300, `${checked}`);
});

Deno.test("readRows: rows in any order, with repeats, equal TF's rows; one request per piece", async () => {
  const random = lcg(11);
  for (const fx of ["tf1", "sliced"]) {
    const recorder = recordingStore(localStore());
    const store = jobStore(recorder);
    const index = await readBundleIndex(store, fixturePath(manifest.fixtures[fx].prefix));
    for (const v of manifest.fixtures[fx].variables) {
      if (v.hex === undefined || v.shape.length === 0 || v.shape[0] === 0) continue;
      const rows = Array.from({ length: 9 }, () => Math.floor(random() * v.shape[0]));
      recorder.requests.length = 0;
      const got = await readRows(store, index, v.name, rows);
      assert.equal(toHexString(got), rows.map((r) => rowHex(v, r, 1)).join(""), `${fx} ${v.name}`);
      // Near rows of one stored piece are joined by the job store: at most one read per piece.
      const pieces = Math.max(1, index.get(v.name)!.slices.length);
      const reads = recorder.requests.filter((r) => r.op === "readRange").length;
      assert.ok(reads <= pieces, `${fx} ${v.name}: ${reads} reads for ${pieces} pieces`);
    }
  }
  const index = await readBundleIndex(localStore(), fixturePath(manifest.fixtures.tf1.prefix));
  await assert.rejects(readRows(localStore(), index, "emb", [99]), RangeError);
});
