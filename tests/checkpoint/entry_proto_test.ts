import assert from "node:assert/strict";
import {
  decodeEntry,
  decodeHeader,
  encodeEntry,
  encodeHeader,
} from "../../lib/checkpoint/entry_proto.ts";
import { readTable } from "../../lib/checkpoint/table_reader.ts";
import { CorruptCheckpointError } from "../../lib/checkpoint/errors.ts";
import { fixturePath, fromHex, manifest, TF_FIXTURES, toHexString } from "./_fixtures.ts";

const v = new TextEncoder().encode("v");
const entry = (over: object) => ({
  key: v,
  dtype: 1,
  shape: [2],
  shardId: 0,
  offset: 0,
  size: 8,
  crc32c: 0x35e53c59,
  slices: [],
  ...over,
});

Deno.test("encodeEntry reproduces TF's example entries byte for byte (bytes written by TF 2.21)", () => {
  const cases: Array<[object, string]> = [
    [{}, "08011204120208022808355 93ce535"],
    [{ dtype: 9, shape: [], offset: 8, size: 8, crc32c: 0x41de7501 }, "0809120020082808350175de41"],
    [
      { dtype: 7, shape: [], offset: 16, size: 180, crc32c: 0x9a77931f },
      "080712002010 28b401351f93779a",
    ],
    [{ shape: [1], shardId: 1, size: 4, crc32c: 0x4f78fd10 }, "0801120412020801180128043510fd784f"],
    [{ shape: [0], offset: 31, size: 0, crc32c: 0xa282ead8 }, "080112021200201f35d8ea82a2"],
    [{ shape: [2, 2], size: 16, crc32c: 0 }, "0801120812020802120208022810"],
    [{ shape: [0, 3], size: 0, crc32c: 0 }, "08011206120012020803"],
  ];
  for (const [over, hex] of cases) {
    const e = entry(over);
    const bytes = encodeEntry(e);
    assert.equal(toHexString(bytes), hex.replaceAll(" ", ""));
    assert.deepEqual(decodeEntry(v, bytes), e);
  }
});

Deno.test("encodeHeader: TF's single-shard and two-shard header bytes (bytes written by TF 2.21)", () => {
  const h = {
    numShards: 1,
    endianness: 0,
    version: { producer: 1, minConsumer: 0, badConsumers: [] },
  };
  assert.equal(toHexString(encodeHeader(h)), "08011a020801");
  assert.equal(toHexString(encodeHeader({ ...h, numShards: 2 })), "08021a020801");
  assert.deepEqual(decodeHeader(fromHex("08011a020801")), h);
  // A header with no version at all is accepted (producer 0).
  assert.deepEqual(decodeHeader(fromHex("0801")).version, {
    producer: 0,
    minConsumer: 0,
    badConsumers: [],
  });
});

Deno.test("decodeEntry keeps 64-bit offsets/sizes above 2^32 as safe numbers", () => {
  const e = entry({ offset: 2 ** 40 + 7, size: 2 ** 33 });
  const back = decodeEntry(v, encodeEntry(e));
  assert.equal(back.offset, 2 ** 40 + 7);
  assert.equal(back.size, 2 ** 33);
});

Deno.test("decodeEntry accepts non-canonical protos: unknown fields, any order", () => {
  // size (28 08) before dtype, an unknown field 15 (78 05), shape last.
  const bytes = fromHex(
    "2808" + "0801" + "7805" + "3559 3ce535".replace(" ", "") + "12041202 0802".replace(" ", ""),
  );
  const e = decodeEntry(v, bytes);
  assert.deepEqual([e.dtype, e.shape, e.size, e.crc32c], [1, [2], 8, 0x35e53c59]);
});

Deno.test("decodeEntry rejects unparseable bytes and invalid shapes with CorruptCheckpointError", () => {
  assert.throws(() => decodeEntry(v, fromHex("0affff"), "x.index"), (e: unknown) => {
    assert.ok(e instanceof CorruptCheckpointError);
    assert.equal(e.key, "v");
    assert.equal(e.location, "x.index");
    return true;
  });
  // dim size -1 (10-byte varint)
  const neg = fromHex("0801120d120b08ffffffffffffffffff01");
  assert.throws(() => decodeEntry(v, neg), CorruptCheckpointError);
});

Deno.test("every entry of every TF-written index re-encodes to TF's exact bytes", () => {
  let n = 0;
  const all = [...TF_FIXTURES.map((f) => manifest.fixtures[f].prefix), manifest.corrupt.base];
  for (const prefix of all) {
    const file = Deno.readFileSync(fixturePath(`${prefix}.index`));
    const { entries } = readTable(file);
    assert.deepEqual(encodeHeader(decodeHeader(entries[0].value)), entries[0].value);
    for (const { key, value } of entries.slice(1)) {
      assert.deepEqual(encodeEntry(decodeEntry(key, value)), value);
      n++;
    }
  }
  assert.ok(n > 12500, `${n} entries`);
});
