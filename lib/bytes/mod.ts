/**
 * Bytes: a cursor over a buffer and its writer twin (64-bit-safe varints, fixed-width
 * little-endian integers), and CRC-32C with TF's mask.
 *
 * @example A CRC-32C and TF's masked form
 * ```ts
 * import assert from "node:assert/strict";
 * import { crc32c, maskCrc, unmaskCrc } from "@warm-start/core/bytes";
 * const crc = crc32c(new TextEncoder().encode("123456789"));
 * assert.ok(crc === 0xe3069283);
 * assert.ok(unmaskCrc(maskCrc(crc)) === crc);
 * ```
 *
 * @module
 */
export { ByteReader } from "./byte_reader.ts";
export { ByteWriter, varintLength } from "./byte_writer.ts";
export { crc32c, crc32cCombine, maskCrc, unmaskCrc } from "./crc32c.ts";
export { Crc32cStream, holdCrcWorker } from "./crc32c_stream.ts";
