/**
 * DT_STRING payloads (tensorflow/core/util/tensor_bundle/tensor_bundle.cc, WriteStringTensor): varint64 lengths ‖ fixed32 masked length checksum ‖ the bytes.
 * The length checksum hashes each length as a fixed-width little-endian integer (uint32, or
 * uint64 above 4 GiB), never the varint bytes.
 *
 * @module
 */
import { CorruptCheckpointError } from "./errors.ts";
import { ByteReader, ByteWriter, crc32c, maskCrc, unmaskCrc } from "../bytes/mod.ts";

const scratch8 = new Uint8Array(8);
const scratchView = new DataView(scratch8.buffer);

function extendLength(crc: number, len: number): number {
  if (len <= 0xffffffff) {
    scratchView.setUint32(0, len, true);
    return crc32c(scratch8.subarray(0, 4), crc);
  }
  scratchView.setUint32(0, len % 0x100000000, true);
  scratchView.setUint32(4, Math.floor(len / 0x100000000), true);
  return crc32c(scratch8, crc);
}

/** Encodes string elements (row-major) as TF does; `crc32c` is the masked entry checksum. */
export function encodeStringTensor(strings: Uint8Array[]): { bytes: Uint8Array; crc32c: number } {
  let total = 4;
  for (const s of strings) total += s.length + 10;
  const w = new ByteWriter(total);
  let crc = 0;
  for (const s of strings) {
    w.varint(s.length);
    crc = extendLength(crc, s.length);
  }
  const lengthChecksum = maskCrc(crc);
  w.fixed32(lengthChecksum);
  scratchView.setUint32(0, lengthChecksum, true);
  crc = crc32c(scratch8.subarray(0, 4), crc);
  for (const s of strings) {
    w.bytes(s);
    crc = crc32c(s, crc);
  }
  return { bytes: w.finish(), crc32c: maskCrc(crc) };
}

/**
 * Decodes `count` string elements; verifies the length checksum and that the lengths account for
 * exactly the payload. Elements are views into `bytes`.
 */
export function decodeStringTensor(
  bytes: Uint8Array,
  count: number,
  location?: string,
): Uint8Array[] {
  return parseStringTensor(bytes, count, location).strings;
}

/**
 * The entry checksum of a string payload (unmasked), computed TF's way: fixed-width lengths, the
 * stored length checksum, then the bytes — not the CRC of the raw payload. Also validates the
 * payload like {@link decodeStringTensor}.
 */
export function stringTensorCrc(bytes: Uint8Array, count: number, location?: string): number {
  return parseStringTensor(bytes, count, location).crc;
}

function parseStringTensor(
  bytes: Uint8Array,
  count: number,
  location?: string,
): { strings: Uint8Array[]; crc: number } {
  const r = new ByteReader(bytes);
  const lengths: number[] = [];
  let crc = 0;
  let total = 0;
  try {
    for (let i = 0; i < count; i++) {
      const len = r.varint64();
      lengths.push(len);
      total += len;
      crc = extendLength(crc, len);
    }
  } catch (e) {
    throw new CorruptCheckpointError(
      `String lengths longer than the tensor in ${location ?? "string tensor"}: ${
        (e as Error).message
      }`,
      { location, offset: r.pos },
    );
  }
  if (r.remaining < 4) {
    throw new CorruptCheckpointError(
      `String tensor in ${location ?? "string tensor"} ends before its length checksum`,
      { location, offset: r.pos, expected: 4, actual: r.remaining },
    );
  }
  const checksumAt = r.pos;
  const stored = r.fixed32();
  if (unmaskCrc(stored) !== crc) {
    throw new CorruptCheckpointError(
      `The length checksum does not match in ${location ?? "string tensor"}`,
      { location, offset: checksumAt, expected: unmaskCrc(stored), actual: crc },
    );
  }
  if (total !== r.remaining) {
    throw new CorruptCheckpointError(
      `String lengths add up to ${total} bytes but ${r.remaining} follow in ${
        location ?? "string tensor"
      }`,
      { location, offset: r.pos, expected: total, actual: r.remaining },
    );
  }
  crc = crc32c(bytes.subarray(checksumAt, checksumAt + 4), crc);
  const strings = lengths.map((len) => r.bytes(len));
  for (const str of strings) crc = crc32c(str, crc);
  return { strings, crc };
}
