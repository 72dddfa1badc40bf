import assert from "node:assert/strict";
import {
  decodeStringTensor,
  encodeStringTensor,
  stringTensorCrc,
} from "../../lib/checkpoint/string_tensor.ts";
import { encodeVariantTensor, parseVariantTensor } from "../../lib/checkpoint/variant_tensor.ts";
import { unmaskCrc } from "../../lib/bytes/crc32c.ts";
import { readBundleIndex } from "../../lib/checkpoint/bundle_index.ts";
import { readTensor } from "../../lib/checkpoint/slice_reader.ts";
import { CorruptCheckpointError } from "../../lib/checkpoint/errors.ts";
import { fixturePath, manifest, toHexString } from "./_fixtures.ts";
import { localStore } from "../_stores.ts";

const enc = (s: string) => new TextEncoder().encode(s);

Deno.test("encodeStringTensor: TF's example payloads (bytes written by TF 2.21)", () => {
  assert.equal(toHexString(encodeStringTensor([enc("")]).bytes), "00a67b113a");
  assert.equal(
    toHexString(encodeStringTensor([enc("a"), enc("bc"), enc("")]).bytes),
    "010200abfbc9d8616263",
  );
  assert.equal(toHexString(encodeStringTensor([]).bytes), "d8ea82a2");
  assert.equal(toHexString(encodeStringTensor([new Uint8Array(200)]).bytes.subarray(0, 2)), "c801");
});

Deno.test("string tensors: encode reproduces every TF-written string payload and its entry crc", async () => {
  const store = localStore();
  let n = 0;
  for (const fx of ["dtypes", "tf2", "sharded", "corrupt"]) {
    const prefix = fx === "corrupt" ? manifest.corrupt.base : manifest.fixtures[fx].prefix;
    const index = await readBundleIndex(store, fixturePath(prefix));
    for (const e of index.variables().filter((e) => e.dtype === 7)) {
      const bytes = await readTensor(store, index, e.key);
      const count = e.shape.reduce((p, d) => p * d, 1);
      const strings = decodeStringTensor(bytes, count);
      const again = encodeStringTensor(strings);
      assert.deepEqual(again.bytes, bytes);
      assert.equal(again.crc32c, e.crc32c);
      assert.equal(stringTensorCrc(bytes, count), unmaskCrc(e.crc32c));
      n++;
    }
  }
  assert.ok(n >= 7, `${n}`);
});

Deno.test("decodeStringTensor: bad length checksum, truncation, trailing bytes → CorruptCheckpointError", () => {
  const good = encodeStringTensor([enc("a"), enc("bc")]).bytes;
  const flipped = good.slice();
  flipped[2] ^= 1;
  assert.throws(() => decodeStringTensor(flipped, 2, "f"), (e: unknown) => {
    assert.ok(e instanceof CorruptCheckpointError);
    assert.match(e.message, /length checksum does not match/);
    assert.equal(e.offset, 2);
    assert.notEqual(e.expected, e.actual);
    return true;
  });
  assert.throws(() => decodeStringTensor(good.subarray(0, 5), 2), CorruptCheckpointError);
  assert.throws(() => decodeStringTensor(new Uint8Array([...good, 0]), 2), CorruptCheckpointError);
  // A hostile length: 2^50 declared in a tiny buffer.
  const hostile = new Uint8Array([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x02, 0, 0, 0, 0]);
  assert.throws(() => decodeStringTensor(hostile, 1), CorruptCheckpointError);
});

Deno.test("variant tensors: TF's payload parses, re-encodes identically, crc matches the entry", async () => {
  const store = localStore();
  for (
    const [prefix, name] of [
      [manifest.fixtures.dtypes.prefix, "variant/tensor_list"],
      [manifest.fixtures.tf2.prefix, "it/.ATTRIBUTES/ITERATOR_STATE"],
    ]
  ) {
    const index = await readBundleIndex(store, fixturePath(prefix));
    const e = index.get(name)!;
    const bytes = await readTensor(store, index, name);
    const count = e.shape.reduce((p, d) => p * d, 1);
    const { elements, crc } = parseVariantTensor(bytes, count);
    assert.equal(crc, unmaskCrc(e.crc32c));
    const again = encodeVariantTensor(elements);
    assert.deepEqual(again.bytes, bytes);
    assert.equal(again.crc32c, e.crc32c);
  }
});
