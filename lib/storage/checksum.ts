/**
 * S3 checksum header values.
 *
 * @module
 */
import { crc32c } from "../bytes/mod.ts";

/** The CRC32C as S3 wants it in `x-amz-checksum-crc32c`: base64 of the big-endian 4 bytes. */
export function crc32cBase64(bytes: Uint8Array): string {
  const c = crc32c(bytes);
  return btoa(String.fromCharCode(c >>> 24, (c >>> 16) & 0xff, (c >>> 8) & 0xff, c & 0xff));
}
