import assert from "node:assert/strict";
import { snappyDecompress, SnappyError } from "../../lib/checkpoint/snappy.ts";
import { fromHex } from "./_fixtures.ts";

const dec = (b: Uint8Array) => new TextDecoder().decode(b);

Deno.test("snappyDecompress: literals and a non-overlapping copy", () => {
  // len 10 | literal "abcde" (tag 4<<2) | copy-1: len 5 (tag (5-4)<<2|1 = 0x05), offset 5
  const out = snappyDecompress(fromHex("0a" + "10" + "6162636465" + "05" + "05"));
  assert.equal(dec(out), "abcdeabcde");
});

Deno.test("snappyDecompress: overlapping copies repeat the last bytes (offset < length)", () => {
  // "ab" then copy-2 of 10 bytes at offset 2 → "ababababab ab"; then copy-1 offset 1 len 4 → "bbbb"
  const out = snappyDecompress(fromHex("10" + "04" + "6162" + "2602 00".replace(" ", "") + "0101"));
  assert.equal(dec(out), "ab" + "ababababab" + "bbbb");
});

Deno.test("snappyDecompress: long literal with a 1-byte length and a 4-byte-offset copy", () => {
  const lit = Uint8Array.from({ length: 100 }, (_, i) => i);
  // len 104 | literal tag 60<<2 = f0, len-1 = 99 | 100 bytes | copy-4: len 4 → (3<<2)|3 = 0x0f, offset 100
  const input = new Uint8Array([0x68, 0xf0, 99, ...lit, 0x0f, 100, 0, 0, 0]);
  const out = snappyDecompress(input);
  assert.deepEqual(out.subarray(0, 100), lit);
  assert.deepEqual([...out.subarray(100)], [0, 1, 2, 3]);
});

Deno.test("snappyDecompress rejects hostile and malformed input without big allocations", () => {
  // Declares 4 GiB - 1 from 6 bytes.
  assert.throws(() => snappyDecompress(fromHex("ffffffff0f00")), SnappyError);
  // Copy before any output.
  assert.throws(() => snappyDecompress(fromHex("04" + "0501")), SnappyError);
  // Literal past the input.
  assert.throws(() => snappyDecompress(fromHex("05" + "1061")), SnappyError);
  // Output shorter than declared.
  assert.throws(() => snappyDecompress(fromHex("05" + "0061")), SnappyError);
  // Truncated header.
  assert.throws(() => snappyDecompress(fromHex("80")), SnappyError);
});
