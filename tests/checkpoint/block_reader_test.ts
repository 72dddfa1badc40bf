import assert from "node:assert/strict";
import { parseBlock } from "../../lib/checkpoint/block_reader.ts";
import { BlockBuilder } from "../../lib/checkpoint/block_builder.ts";
import { CorruptCheckpointError } from "../../lib/checkpoint/errors.ts";
import { fromHex, toHexString } from "./_fixtures.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const ctx = { location: "t.index", offset: 100, kind: "data" };

Deno.test("BlockBuilder/parseBlock twins: prefix sharing, restarts every 16 entries, byte keys", () => {
  const b = new BlockBuilder(16);
  const keys = Array.from({ length: 40 }, (_, i) => new Uint8Array([0x00, 0xff, i, 0x80]));
  keys.unshift(new Uint8Array(0));
  keys.forEach((k, i) => b.add(k, enc(`v${i}`)));
  const raw = b.finish();
  // 41 entries → restarts at entries 0, 16, 32.
  assert.equal(new DataView(raw.buffer).getUint32(raw.length - 4, true), 3);
  const back = parseBlock(raw, ctx);
  assert.deepEqual(back.map((e) => toHexString(e.key)), keys.map(toHexString));
  assert.deepEqual(back.map((e) => new TextDecoder().decode(e.value)), keys.map((_, i) => `v${i}`));
});

Deno.test("parseBlock: the empty block is exactly 00000000 01000000 (bytes written by TF 2.21)", () => {
  assert.equal(toHexString(new BlockBuilder(16).finish()), "0000000001000000");
  assert.deepEqual(parseBlock(fromHex("0000000001000000"), ctx), []);
});

Deno.test("parseBlock: hostile blocks → CorruptCheckpointError with the block's offset", () => {
  const bad = (hex: string, why: RegExp) =>
    assert.throws(() => parseBlock(fromHex(hex), ctx), (e: unknown) => {
      assert.ok(e instanceof CorruptCheckpointError);
      assert.match(e.message, why);
      assert.equal(e.location, "t.index");
      assert.ok(e.offset! >= 100);
      return true;
    });
  bad("0100", /shorter than its restart count/);
  bad("00000000ffffffff", /do not fit/);
  // Entry shares 3 bytes of an empty previous key.
  bad("030001" + "61" + "61" + "00000000" + "01000000", /shares 3 bytes/);
  // Value length runs past the entries.
  bad("000150" + "61" + "00000000" + "01000000", /runs past/);
  // A restart point that is not an entry start.
  bad(
    "000101" + "61" + "62" + "000101" + "62" + "63" + "00000000" + "02000000" + "02000000",
    /restart points/,
  );
  // Restart entry with a shared prefix.
  bad(
    "000101" + "61" + "62" + "010101" + "62" + "63" + "00000000" + "05000000" + "02000000",
    /restart entry with a shared prefix/,
  );
});
