import assert from "node:assert/strict";
import { SettingsError } from "../../lib/warmstart/errors.ts";
import {
  checkNoDuplicateOldIds,
  generateVocabRemapping,
  parseVocabulary,
  token,
  type Vocabulary,
  VocabularyIndex,
} from "../../lib/warmstart/vocab_file.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => String.fromCharCode(...b);
const tokensOf = (v: Vocabulary) => Array.from({ length: v.size }, (_, i) => dec(token(v, i)));
const tokens = (s: string, size = -1) => tokensOf(parseVocabulary(enc(s), "v.txt", size));
const indexVocabulary = (v: Vocabulary) => new VocabularyIndex(v);

Deno.test("parseVocabulary() splits lines like TF's TextFileLineIterator", () => {
  assert.deepEqual(tokens("a\nb\nc"), ["a", "b", "c"]); // no trailing newline
  assert.deepEqual(tokens("a\nb\nc\n"), ["a", "b", "c"]); // trailing newline adds nothing
  assert.deepEqual(tokens("a\r\nb\r\n"), ["a", "b"]); // one trailing \r dropped
  assert.deepEqual(tokens("a\r\r\nb"), ["a\r", "b"]); // only one
  assert.deepEqual(tokens(" a \tx,y\n"), [" a \tx,y"]); // the whole line, untrimmed
});

Deno.test("parseVocabulary() keeps tokens as bytes (binary strings)", () => {
  const v = parseVocabulary(new Uint8Array([0xc3, 0xa9, 0x0a, 0xff, 0x0a]), "v.txt");
  assert.deepEqual(tokensOf(v), ["\xc3\xa9", "\xff"]);
});

Deno.test("parseVocabulary() rejects empty lines with TF's message and position", () => {
  assert.throws(
    () => tokens("a\n\nb"),
    (e: unknown) =>
      e instanceof SettingsError &&
      e.message === "Invalid content in v.txt: empty line found at position 3.",
  );
  assert.throws(() => tokens("a\n\r\nb"), /empty line found/);
  assert.throws(() => tokens(""), /empty/);
});

Deno.test("parseVocabulary() with a size reads only the first lines", () => {
  assert.deepEqual(tokens("a\nb\n\n", 2), ["a", "b"]); // lines after N are not validated
  assert.deepEqual(tokens("a\nb", 2), ["a", "b"]);
  assert.throws(() => tokens("a\nb", 3), /Invalid vocab_size in v.txt: expected 3 but got 2/);
  assert.throws(() => tokens("a\nb", 0), SettingsError);
});

Deno.test("indexVocabulary() fails on a repeated token like TF's HashTable", () => {
  const v = parseVocabulary(enc("x\ny\nx\n"), "old.txt");
  assert.throws(
    () => indexVocabulary(v),
    /HashTable has different value for same key. Key x has 0 and trying to add value 2/,
  );
});

Deno.test("generateVocabRemapping() reproduces TF's op doc and kernel tests K1-K4", () => {
  // Op doc: new=[f0,f1,f2,f3], old=[f1,f0,f3], num_new_vocab=3, offset=1 -> [0,-1,2].
  const newV = parseVocabulary(enc("f0\nf1\nf2\nf3"), "new");
  const oldIdx = indexVocabulary(parseVocabulary(enc("f1\nf0\nf3"), "old"));
  const r = generateVocabRemapping(newV, oldIdx, 1, 3);
  assert.deepEqual([...r.remapping], [0, -1, 2]);
  assert.equal(r.numPresent, 2);
  // K1..K4: new = MISSING, knitting, eminem; old = knitting, eminem, MISSING.
  const n = parseVocabulary(enc("MISSING\nknitting\neminem\n"), "new");
  const o = parseVocabulary(enc("knitting\neminem\nMISSING\n"), "old");
  assert.deepEqual([...generateVocabRemapping(n, indexVocabulary(n), 0, 3).remapping], [0, 1, 2]);
  assert.deepEqual([...generateVocabRemapping(n, indexVocabulary(o), 0, 3).remapping], [2, 0, 1]);
  assert.deepEqual([...generateVocabRemapping(n, indexVocabulary(o), 1, 1).remapping], [0]);
  const o2 = parseVocabulary(enc("knitting\neminem\nMISSING\n"), "old", 2);
  const k4 = generateVocabRemapping(n, indexVocabulary(o2), 0, 3);
  assert.deepEqual([...k4.remapping], [-1, 0, 1]);
  assert.equal(k4.numPresent, 2);
});

Deno.test("generateVocabRemapping() needs enough new-vocab lines", () => {
  const n = parseVocabulary(enc("a\nb"), "new");
  const old = indexVocabulary(parseVocabulary(enc("a"), "old"));
  assert.throws(() => generateVocabRemapping(n, old, 0, 3), /lookup table size/);
});

Deno.test("checkNoDuplicateOldIds() rejects two new ids on one old id (kernel K10)", () => {
  assert.throws(
    () => checkNoDuplicateOldIds(Int32Array.from([1, 0, 0, 0, 1, 2]), "rows"),
    /Old ID 0 is mapped to both new ID 1 and 2, which is not supported/,
  );
  checkNoDuplicateOldIds(Int32Array.from([-1, -1, 0]), "rows");
});
