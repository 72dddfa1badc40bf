import assert from "node:assert/strict";
import { ByteReader } from "../../lib/bytes/byte_reader.ts";
import { ByteWriter } from "../../lib/bytes/byte_writer.ts";

Deno.test("ByteReader reads little-endian fixed32/fixed64 and bytes", () => {
  const r = new ByteReader(
    new Uint8Array([0x57, 0xfb, 0x80, 0x8b, 0x01, 0, 0, 0, 0, 0, 0x10, 0, 0xaa, 0xbb]),
  );
  assert.equal(r.fixed32(), 0x8b80fb57);
  assert.equal(r.fixed64(), 2 ** 52 + 1);
  assert.deepEqual([...r.bytes(2)], [0xaa, 0xbb]);
  assert.equal(r.remaining, 0);
  assert.throws(() => r.u8(), RangeError);
});

Deno.test("ByteReader.varint64 decodes values above 2^31 and 2^32 (bytes written by TF 2.21)", () => {
  // 2^31 = 80 80 80 80 08; 2^32 + 5 = 85 80 80 80 10; 2^53 - 1 = ff ff ff ff ff ff ff 0f.
  const r = new ByteReader(
    new Uint8Array([
      0x80,
      0x80,
      0x80,
      0x80,
      0x08,
      0x85,
      0x80,
      0x80,
      0x80,
      0x10,
      0xff,
      0xff,
      0xff,
      0xff,
      0xff,
      0xff,
      0xff,
      0x0f,
    ]),
  );
  assert.equal(r.varint64(), 2 ** 31);
  assert.equal(r.varint64(), 2 ** 32 + 5);
  assert.equal(r.varint64(), Number.MAX_SAFE_INTEGER);
});

Deno.test("ByteReader.varint64 throws above 2^53 and on truncation", () => {
  // 2^53 = 80 80 80 80 80 80 80 10
  assert.throws(
    () =>
      new ByteReader(new Uint8Array([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10])).varint64(),
    /exceeds 2\^53/,
  );
  assert.throws(() => new ByteReader(new Uint8Array([0x80, 0x80])).varint64(), RangeError);
  const tooLong = new Uint8Array(11).fill(0x80);
  assert.throws(() => new ByteReader(tooLong).varint64(), RangeError);
});

Deno.test("ByteReader.varint32 rejects values over 32 bits", () => {
  assert.equal(
    new ByteReader(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x0f])).varint32(),
    0xffffffff,
  );
  assert.throws(
    () => new ByteReader(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x1f])).varint32(),
    RangeError,
  );
});

Deno.test("ByteReader.fixed64 throws above 2^53", () => {
  assert.throws(
    () => new ByteReader(new Uint8Array([0, 0, 0, 0, 0, 0, 0x20, 0])).fixed64(),
    RangeError,
  );
});

Deno.test("ByteWriter/ByteReader round-trip (twins)", () => {
  const values = [
    0,
    1,
    127,
    128,
    300,
    2 ** 31 - 1,
    2 ** 31,
    2 ** 32,
    2 ** 40 + 3,
    Number.MAX_SAFE_INTEGER,
  ];
  const w = new ByteWriter(1);
  for (const v of values) w.varint(v).fixed64(v);
  w.fixed32(0xdeadbeef).u8(0x7f).bytes(new Uint8Array([1, 2, 3]));
  const r = new ByteReader(w.finish());
  for (const v of values) {
    assert.equal(r.varint64(), v);
    assert.equal(r.fixed64(), v);
  }
  assert.equal(r.fixed32(), 0xdeadbeef);
  assert.equal(r.u8(), 0x7f);
  assert.deepEqual([...r.bytes(3)], [1, 2, 3]);
  assert.equal(r.remaining, 0);
});

Deno.test("ByteWriter.varint writes minimal encodings (spec examples)", () => {
  assert.deepEqual([...new ByteWriter().varint(180).finish()], [0xb4, 0x01]);
  assert.deepEqual([...new ByteWriter().varint(200).finish()], [0xc8, 0x01]);
  assert.deepEqual([...new ByteWriter().varint(0).finish()], [0x00]);
  assert.throws(() => new ByteWriter().varint(-1), RangeError);
  assert.throws(() => new ByteWriter().varint(2 ** 53), RangeError);
});
