import assert from "node:assert/strict";
import { readTable } from "../../lib/checkpoint/table_reader.ts";
import {
  shortestSeparator,
  shortSuccessor,
  TableWriter,
} from "../../lib/checkpoint/table_writer.ts";
import { CorruptCheckpointError } from "../../lib/checkpoint/errors.ts";
import { fixturePath, fromHex, manifest, TF_FIXTURES, toHexString } from "./_fixtures.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

/** The 121-byte index  (float32 v = [1, 2], written by TF 2.21), from its xxd dump. */
Deno.test("TableWriter reproduces TF's 121-byte v.index exactly (bytes written by TF 2.21)", () => {
  const idx = fromHex(
    ("0000 0608 011a 0208 0100 010f 7608 0112 0412 0208 0228 0835 593c e535 0000 0000" +
      "0100 0000 0030 5593 5800 0000 0001 0000 0000 c0f2 a1b0 0001 0277 0024 0000 0000" +
      "0100 0000 0094 60b2 cd29 0836 0e00" + " 0000".repeat(17) + " 0057 fb80 8b24 7547 db")
      .replace(/ /g, ""),
  );
  assert.equal(idx.length, 121);
  const w = new TableWriter();
  w.add(new Uint8Array(0), fromHex("08011a020801"));
  w.add(enc("v"), fromHex("080112041202080228083559 3ce535".replace(" ", "")));
  assert.equal(toHexString(w.finish()), toHexString(idx));
});

Deno.test("separator helpers: TF's verified examples (bytes written by TF 2.21)", () => {
  assert.equal(dec(shortSuccessor(enc("v"))), "w");
  assert.equal(dec(shortSuccessor(enc("v/.ATTRIBUTES/VARIABLE_VALUE"))), "w");
  assert.equal(dec(shortSuccessor(enc("layer_11999/.ATTRIBUTES/VARIABLE_VALUE"))), "m");
  const a = enc("layer_04842/.ATTRIBUTES/VARIABLE_VALUE");
  const b = enc("layer_04843/.ATTRIBUTES/VARIABLE_VALUE");
  assert.deepEqual(shortestSeparator(a, b), a);
  assert.equal(dec(shortestSeparator(enc("abc1xyz"), enc("abc9"))), "abc2");
  assert.deepEqual(shortestSeparator(enc("ab"), enc("abc")), enc("ab"));
  assert.deepEqual(shortSuccessor(new Uint8Array([0xff, 0xff])), new Uint8Array([0xff, 0xff]));
});

Deno.test("every TF-written index: readTable → TableWriter gives back the same bytes", () => {
  for (const fx of TF_FIXTURES) {
    const file = Deno.readFileSync(fixturePath(`${manifest.fixtures[fx].prefix}.index`));
    const { entries, info } = readTable(file);
    const w = new TableWriter();
    for (const e of entries) w.add(e.key, e.value);
    assert.deepEqual(w.finish(), file, fx);
    if (fx === "many") {
      assert.equal(info.dataBlocks.length, manifest.fixtures.many.num_data_blocks);
      assert.ok(info.dataBlocks.length >= 3);
      assert.equal(entries.length, manifest.fixtures.many.num_keys! + 1);
    }
  }
});

Deno.test("readTable decodes snappy-compressed blocks of a TF-verified index", () => {
  for (const s of Object.values(manifest.fixtures.snappy)) {
    const snappy = readTable(Deno.readFileSync(fixturePath(`${s.prefix}.index`)));
    const plain = readTable(Deno.readFileSync(fixturePath(`${s.source}.index`)));
    assert.equal(snappy.entries.length, plain.entries.length);
    for (let i = 0; i < plain.entries.length; i++) {
      assert.deepEqual(snappy.entries[i].key, plain.entries[i].key);
      assert.deepEqual(snappy.entries[i].value, plain.entries[i].value);
    }
  }
  assert.equal(manifest.fixtures.snappy.keys.index_block_type, 1);
});

Deno.test("TableWriter rejects unsorted and duplicate keys", () => {
  const w = new TableWriter();
  w.add(enc("b"), new Uint8Array(0));
  assert.throws(() => w.add(enc("a"), new Uint8Array(0)), RangeError);
  assert.throws(() => w.add(enc("b"), new Uint8Array(0)), RangeError);
});

Deno.test("TableWriter: small block size makes many blocks that read back in order", () => {
  const w = new TableWriter({ blockSize: 64 });
  const keys = Array.from({ length: 500 }, (_, i) => enc(`k${String(i).padStart(4, "0")}`));
  for (const k of keys) w.add(k, k);
  const { entries, info } = readTable(w.finish());
  assert.ok(info.dataBlocks.length > 50);
  assert.deepEqual(entries.map((e) => dec(e.key)), keys.map(dec));
});

Deno.test("TableWriter: an overly large entry (>= 2 × block size) starts a new block", () => {
  const w = new TableWriter({ blockSize: 100 });
  w.add(enc("a"), new Uint8Array(10));
  w.add(enc("b"), new Uint8Array(250));
  const { info } = readTable(w.finish());
  assert.equal(info.dataBlocks.length, 2);
});

Deno.test("readTable: too short, bad magic, truncated blocks → CorruptCheckpointError", () => {
  assert.throws(() => readTable(new Uint8Array(40), { location: "x.index" }), (e: unknown) => {
    assert.ok(e instanceof CorruptCheckpointError);
    assert.equal(e.expected, 48);
    assert.equal(e.actual, 40);
    return true;
  });
});
