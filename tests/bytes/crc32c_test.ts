import assert from "node:assert/strict";
import { crc32c, crc32cCombine, crc32cJs, maskCrc, unmaskCrc } from "../../lib/bytes/crc32c.ts";

/** Bit-by-bit reference from the spec's definition (§2.3). */
function slowCrc32c(bytes: Uint8Array, initial = 0): number {
  let crc = ~initial >>> 0;
  for (const b of bytes) {
    crc ^= b;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return ~crc >>> 0;
}

Deno.test("crc32c known answers (bytes written by TF 2.21)", () => {
  assert.equal(crc32c(new TextEncoder().encode("123456789")), 0xe3069283);
  assert.equal(crc32c(new Uint8Array(32)), 0x8a9136aa);
  assert.equal(crc32c(new Uint8Array(32).fill(0xff)), 0x62a8ab43);
  assert.equal(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i)), 0x46dd794e);
  assert.equal(crc32c(new Uint8Array(0)), 0);
});

Deno.test("crc32c matches the bitwise definition at every length and alignment", () => {
  const data = Uint8Array.from({ length: 300 }, (_, i) => (i * 131 + 7) & 0xff);
  for (let start = 0; start < 9; start++) {
    for (let len = 0; len < 40; len++) {
      const v = data.subarray(start, start + len);
      assert.equal(crc32c(v), slowCrc32c(v));
    }
  }
  assert.equal(crc32c(data), slowCrc32c(data));
});

Deno.test("crc32c(b, crc32c(a)) === crc32c(a‖b) and crc32cCombine agrees", () => {
  const a = new TextEncoder().encode("12345");
  const b = new TextEncoder().encode("6789");
  assert.equal(crc32c(b, crc32c(a)), 0xe3069283);
  assert.equal(crc32cCombine(crc32c(a), crc32c(b), b.length), 0xe3069283);
  const big = Uint8Array.from({ length: 10000 }, (_, i) => (i * 7) & 0xff);
  for (const cut of [0, 1, 7, 8, 4999, 10000]) {
    const x = big.subarray(0, cut);
    const y = big.subarray(cut);
    assert.equal(crc32cCombine(crc32c(x), crc32c(y), y.length), crc32c(big));
  }
});

Deno.test("crc32c's WebAssembly path equals the JS one at every size class and alignment", () => {
  const data = Uint8Array.from(
    { length: (1 << 20) * 2 + 50000 },
    (_, i) => (i * 2654435761) >>> 24,
  );
  // Around the JS/WASM cut (256), the 3-stream block (3 × 4 KiB) and the 1 MiB staging size.
  const lengths = [255, 256, 257, 4095, 12287, 12288, 12289, 40000, 1 << 20, (1 << 20) + 1];
  for (const len of [...lengths, data.length - 9]) {
    for (const start of [0, 1, 3, 8]) {
      const v = data.subarray(start, start + len);
      assert.equal(crc32c(v), crc32cJs(v), `length ${len} at ${start}`);
      assert.equal(crc32c(v, 0x12345678), crc32cJs(v, 0x12345678), `extended, length ${len}`);
    }
  }
  assert.equal(crc32c(data.subarray(0, 5000)), slowCrc32c(data.subarray(0, 5000)));
});

Deno.test("crc32cCombine is exact for lengths past 32 bits (associativity)", () => {
  const [a, b, c] = [0x1234567, 0x9abcdef0, 0x0badf00d];
  for (const [n, m] of [[2 ** 32 + 5, 3], [2 ** 40 + 12345, 2 ** 33], [7, 2 ** 52]]) {
    assert.equal(
      crc32cCombine(crc32cCombine(a, b, n), c, m),
      crc32cCombine(a, crc32cCombine(b, c, m), n + m),
    );
  }
});

Deno.test("maskCrc/unmaskCrc: spec example and Mask(0)", () => {
  // float32 [1, 2] → crc 0x28c0c9b1 → masked 0x35e53c59 (bytes written by TF 2.21)
  const data = new Uint8Array([0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0x40]);
  assert.equal(crc32c(data), 0x28c0c9b1);
  assert.equal(maskCrc(0x28c0c9b1), 0x35e53c59);
  assert.equal(unmaskCrc(0x35e53c59), 0x28c0c9b1);
  assert.equal(maskCrc(0), 0xa282ead8);
  for (const c of [0, 1, 0xffffffff, 0x80000000, 0x12345678]) {
    assert.equal(unmaskCrc(maskCrc(c)), c);
  }
});

Deno.test("crc32c over 64 MiB equals the combine of its parts", () => {
  // Throughput is measured by `deno task bench`, not here.
  const big = new Uint8Array(64 * 1024 * 1024).fill(0xab);
  const head = 1024 * 1024;
  assert.equal(
    crc32c(big),
    crc32cCombine(crc32c(big.subarray(0, head)), crc32c(big.subarray(head)), big.length - head),
  );
});
