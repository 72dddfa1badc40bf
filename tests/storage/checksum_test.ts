/** Range header formatting/parsing and coalescing arithmetic, including offsets above 2^32. */
import assert from "node:assert/strict";
import { crc32cBase64 } from "../../lib/storage/checksum.ts";

Deno.test("crc32cBase64: S3 header encoding of the CRC32C check value", () => {
  // CRC32C("123456789") = 0xE3069283 -> bytes e3 06 92 83 -> base64 4waSgw==
  assert.equal(crc32cBase64(new TextEncoder().encode("123456789")), "4waSgw==");
  assert.equal(crc32cBase64(new Uint8Array(0)), "AAAAAA==");
});
