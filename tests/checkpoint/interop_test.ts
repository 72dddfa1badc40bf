import assert from "node:assert/strict";
import { readBundleIndex } from "../../lib/checkpoint/bundle_index.ts";
import {
  stringTensor,
  type TensorToWrite,
  writeBundle,
} from "../../lib/checkpoint/bundle_writer.ts";
import { DT_FLOAT, DT_STRING, DT_VARIANT, dtypeFromName } from "../../lib/checkpoint/dtype.ts";
import { readTensor } from "../../lib/checkpoint/slice_reader.ts";
import { writeCheckpointState } from "../../lib/checkpoint/state_file.ts";
import { localStore } from "../_stores.ts";
import {
  fixturePath,
  fromBase64,
  fromHex,
  manifest,
  type ManifestVariable,
  TF_FIXTURES,
  toHexString,
} from "./_fixtures.ts";
import { rewriteBundle } from "./_rewrite.ts";
import { tfRead } from "./_tf.ts";

/** Flips the sign bit of every float32 (a value change TF must see). */
function negateFloats(data: Uint8Array): Uint8Array {
  const out = data.slice();
  for (let i = 3; i < out.length; i += 4) out[i] ^= 0x80;
  return out;
}

function expectedNegated(v: ManifestVariable): string {
  return v.dtype === "float32" ? toHexString(negateFloats(fromHex(v.hex!))) : v.hex!;
}

Deno.test("interop: TF load_checkpoint reads our re-written copy of every fixture with TF's values", async () => {
  const src = localStore();
  const tmp = await Deno.makeTempDir();
  try {
    const fixtures = TF_FIXTURES.filter((fx) => fx !== "many"); // many: byte-identical, see bundle_writer_test
    const prefixes = [];
    for (const fx of fixtures) {
      const dst = `${tmp}/${fx}/ckpt`;
      await rewriteBundle(src, fixturePath(manifest.fixtures[fx].prefix), src, dst);
      prefixes.push(dst);
    }
    const got = (await tfRead("load_many", ...prefixes)).checkpoints as Array<
      { variables: unknown }
    >;
    fixtures.forEach((fx, i) =>
      assert.deepEqual(got[i].variables, manifest.fixtures[fx].variables, fx)
    );
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("interop: a checkpoint written from scratch (every dtype, strings, slices on both axes, 2 shards) reads back in TF", async () => {
  const store = localStore();
  const tmp = await Deno.makeTempDir();
  try {
    const dtypesIndex = await readBundleIndex(store, fixturePath(manifest.fixtures.dtypes.prefix));
    const tensors: TensorToWrite[] = [];
    let shard = 0;
    for (const v of manifest.fixtures.dtypes.variables) {
      shard = 1 - shard;
      const dtype = dtypeFromName(v.dtype);
      if (dtype === DT_STRING) {
        tensors.push({
          ...stringTensor(`x/${v.name}`, v.shape, v.strings!.map(fromBase64)),
          shardId: shard,
        });
      } else if (dtype === DT_VARIANT) {
        const data = await readTensor(store, dtypesIndex, v.name);
        tensors.push({ key: `x/${v.name}`, dtype, shape: v.shape, data, shardId: shard });
      } else {
        tensors.push({
          key: `x/${v.name}`,
          dtype,
          shape: v.shape,
          data: fromHex(v.hex!),
          shardId: shard,
        });
      }
    }
    // A [4,6] float tensor split along both axes, slices in two shards.
    const grid = Float32Array.from({ length: 24 }, (_, i) => i * 0.5);
    const box = (r0: number, r1: number, c0: number, c1: number) => {
      const out: number[] = [];
      for (let r = r0; r < r1; r++) for (let c = c0; c < c1; c++) out.push(grid[r * 6 + c]);
      return new Uint8Array(new Float32Array(out).buffer);
    };
    tensors.push({
      key: "grid",
      dtype: DT_FLOAT,
      shape: [4, 6],
      slices: [
        { slice: [{ start: 0, length: 3 }, { start: 0, length: 2 }], data: box(0, 3, 0, 2) },
        {
          slice: [{ start: 0, length: 3 }, { start: 2, length: 4 }],
          data: box(0, 3, 2, 6),
          shardId: 1,
        },
        { slice: [{ start: 3, length: 1 }, { start: 0, length: -1 }], data: box(3, 4, 0, 6) },
      ],
    });
    const prefix = `${tmp}/scratch/ckpt-1`;
    await writeBundle(store, prefix, tensors, { numShards: 2 });
    await writeCheckpointState(store, `${tmp}/scratch`, {
      modelCheckpointPath: "ckpt-1",
      allModelCheckpointPaths: ["ckpt-1"],
      allModelCheckpointTimestamps: [],
    });
    // TF resolves the directory through our state file.
    const got = (await tfRead("load", `${tmp}/scratch`)).variables as ManifestVariable[];
    const want = [
      {
        name: "grid",
        dtype: "float32",
        shape: [4, 6],
        hex: toHexString(new Uint8Array(grid.buffer)),
      },
      ...manifest.fixtures.dtypes.variables.map((v) => ({ ...v, name: `x/${v.name}` })),
    ];
    assert.deepEqual(got, want);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("interop: TF1 Saver.restore (imported .meta graph) restores our modified checkpoint, partitions included", async () => {
  const store = localStore();
  const tmp = await Deno.makeTempDir();
  try {
    const prefix = `${tmp}/model.ckpt-7`;
    await rewriteBundle(
      store,
      fixturePath(manifest.fixtures.tf1.prefix),
      store,
      prefix,
      (_n, dtype, data) => dtype === DT_FLOAT ? negateFloats(data) : undefined,
    );
    const got = (await tfRead("tf1_restore", fixturePath(manifest.fixtures.tf1.meta!), prefix))
      .variables as Record<
        string,
        string
      >;
    const byName = new Map(manifest.fixtures.tf1.variables.map((v) => [v.name, v]));
    assert.equal(got["dense/kernel"], expectedNegated(byName.get("dense/kernel")!));
    assert.equal(got["dense/bias"], expectedNegated(byName.get("dense/bias")!));
    assert.equal(got["global_step"], byName.get("global_step")!.hex);
    assert.equal(got["counter"], byName.get("counter")!.hex);
    // Partitions: emb/part_0 is rows 0..2 of emb, the rest in part_1 (negated).
    const emb = expectedNegated(byName.get("emb")!);
    assert.equal(got["emb/part_0"] + got["emb/part_1"], emb);
    // wide [4,6] split in 3 column blocks of 2: reassemble and compare.
    const wide = fromHex(expectedNegated(byName.get("wide")!));
    for (let p = 0; p < 3; p++) {
      const part = fromHex(got[`wide/part_${p}`]);
      for (let r = 0; r < 4; r++) {
        assert.deepEqual(
          part.subarray(r * 8, r * 8 + 8),
          wide.subarray(r * 24 + p * 8, r * 24 + p * 8 + 8),
        );
      }
    }
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("interop: TF2 Checkpoint.restore(...).assert_consumed() on our checkpoint (object graph carried verbatim)", async () => {
  const store = localStore();
  const tmp = await Deno.makeTempDir();
  try {
    const prefix = `${tmp}/ckpt-1`;
    await rewriteBundle(
      store,
      fixturePath(manifest.fixtures.tf2.prefix),
      store,
      prefix,
      (_n, dtype, data) => dtype === DT_FLOAT ? negateFloats(data) : undefined,
    );
    const got = await tfRead("tf2_restore", prefix);
    assert.equal(got.consumed, true);
    const vars = got.variables as Record<string, string | number>;
    const byName = new Map(manifest.fixtures.tf2.variables.map((v) => [v.name, v]));
    const key = (p: string) => `${p}/.ATTRIBUTES/VARIABLE_VALUE`;
    assert.equal(vars["model/dense_w"], expectedNegated(byName.get(key("model/dense_w"))!));
    assert.equal(vars["model/bias"], expectedNegated(byName.get(key("model/bias"))!));
    assert.equal(vars["model/step"], byName.get(key("model/step"))!.hex);
    assert.equal(
      vars["slot/dense_w"],
      expectedNegated(byName.get(key("model/dense_w/.OPTIMIZER_SLOT/optimizer/momentum"))!),
    );
    assert.equal(
      vars["slot/bias"],
      expectedNegated(byName.get(key("model/bias/.OPTIMIZER_SLOT/optimizer/momentum"))!),
    );
    assert.equal(vars["save_counter"], byName.get(key("save_counter"))!.hex);
    // The iterator state (DT_VARIANT, carried as bytes) restored: two elements were consumed.
    assert.equal(vars["iterator_next"], 2);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
