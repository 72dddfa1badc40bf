import assert from "node:assert/strict";
import { decodeSliceKey, encodeSliceKey, isSliceKey } from "../../lib/checkpoint/slice_key.ts";
import { parseSlice } from "../../lib/checkpoint/slice_geometry.ts";
import { readBundleIndex } from "../../lib/checkpoint/bundle_index.ts";
import { CorruptCheckpointError } from "../../lib/checkpoint/errors.ts";
import { localStore } from "../_stores.ts";
import { fixturePath, manifest, toHexString } from "./_fixtures.ts";

const enc = (s: string) => new TextEncoder().encode(s);

Deno.test("encodeSliceKey reproduces TF's verified slice keys (bytes written by TF 2.21)", () => {
  assert.equal(toHexString(encodeSliceKey(enc("w"), parseSlice("0,2:-"))), "0077000101028082807f");
  assert.equal(
    toHexString(encodeSliceKey(enc("w"), parseSlice("2,2:0,3"))),
    "00770001010282828083",
  );
  assert.equal(
    toHexString(encodeSliceKey(enc("x"), parseSlice("1000,5:-"))),
    "0078000101 02c3e885807f".replace(" ", ""),
  );
});

Deno.test("SignedNumIncreasing widths: verified values round-trip through decodeSliceKey", () => {
  // 1000 → c3 e8; 2^31 → f8 80 00 00 00; 2^40 → fd 00 00 00 00 00 (bytes written by TF 2.21)
  const key = encodeSliceKey(enc("t"), [
    { start: 1000, length: 2 ** 31 },
    { start: 2 ** 40, length: 63 },
    { start: 64, length: 2 ** 53 - 1 },
  ]);
  const hex = toHexString(key);
  assert.ok(hex.includes("c3e8f880000000"), hex);
  assert.ok(hex.includes("fd0000000000bf"), hex);
  const back = decodeSliceKey(key);
  assert.deepEqual(back.fullKey, enc("t"));
  assert.deepEqual(back.slice, [
    { start: 1000, length: 2 ** 31 },
    { start: 2 ** 40, length: 63 },
    { start: 64, length: 2 ** 53 - 1 },
  ]);
});

Deno.test("encodeSliceKey escapes 0x00 and 0xff in names", () => {
  const name = new Uint8Array([0x61, 0x00, 0xff, 0x62]);
  const key = encodeSliceKey(name, parseSlice("-"));
  assert.equal(toHexString(key), "00" + "6100ffff0062" + "0001" + "0101" + "807f");
  assert.deepEqual(decodeSliceKey(key).fullKey, name);
});

Deno.test("decodeSliceKey rejects non-slice keys with CorruptCheckpointError", () => {
  assert.throws(() => decodeSliceKey(enc("plain")), CorruptCheckpointError);
  assert.throws(
    () => decodeSliceKey(new Uint8Array([0, 0x77, 0, 1, 1, 1])),
    CorruptCheckpointError,
  );
  assert.equal(isSliceKey(enc("plain")), false);
});

Deno.test("every slice key in TF's sliced and sharded fixtures decodes and re-encodes", async () => {
  const store = localStore();
  let n = 0;
  for (const fx of ["sliced", "sharded", "tf1"]) {
    const index = await readBundleIndex(store, fixturePath(manifest.fixtures[fx].prefix));
    for (const e of index.entries.filter((e) => isSliceKey(e.key))) {
      const { fullKey, slice } = decodeSliceKey(e.key);
      assert.deepEqual(encodeSliceKey(fullKey, slice), e.key);
      const full = index.get(fullKey)!;
      assert.ok(full.slices.some((s) => JSON.stringify(s) === JSON.stringify(slice)));
      n++;
    }
  }
  // sliced: 12 slices, sharded: 2, tf1: 2 + 3
  assert.equal(n, 19);
  // The specs TF was given are exactly the slices on the full entries.
  const index = await readBundleIndex(store, fixturePath(manifest.fixtures.sliced.prefix));
  for (const [name, specs] of Object.entries(manifest.fixtures.sliced.slices!)) {
    const want = specs.map((s) => JSON.stringify(parseSlice(s.split(" ").at(-1)!)));
    assert.deepEqual(index.get(name)!.slices.map((s) => JSON.stringify(s)), want, name);
  }
});
