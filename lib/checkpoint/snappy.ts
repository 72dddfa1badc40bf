/**
 * Raw snappy decompression (block format, not framing), for index blocks of type 1 (tensorflow/core/lib/io/format.cc, kSnappyCompression).
 * Copies may overlap their output (offset < length) and are done byte by byte.
 *
 * @module
 */

/** Largest output per input byte a valid stream can produce (a 3-byte copy yields ≤ 64 bytes). */
const MAX_EXPANSION = 22;

/** Thrown for malformed snappy input; callers wrap it with file/offset details. */
export class SnappyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SnappyError";
  }
}

/** The uncompressed length a snappy stream declares (its leading varint32). */
export function snappyUncompressedLength(
  input: Uint8Array,
): { length: number; headerSize: number } {
  let result = 0;
  let mul = 1;
  for (let i = 0; i < 5; i++) {
    if (i >= input.length) throw new SnappyError("truncated length header");
    const b = input[i];
    result += (b & 0x7f) * mul;
    if (b < 0x80) {
      if (result > 0xffffffff) throw new SnappyError("length header overflows 32 bits");
      return { length: result, headerSize: i + 1 };
    }
    mul *= 128;
  }
  throw new SnappyError("length header longer than 5 bytes");
}

/**
 * Decompresses a raw snappy stream. Never allocates more than the declared length, and rejects a
 * declared length the input could not possibly produce.
 */
export function snappyDecompress(input: Uint8Array): Uint8Array {
  const { length, headerSize } = snappyUncompressedLength(input);
  if (length > input.length * MAX_EXPANSION + 64) {
    throw new SnappyError(
      `declared length ${length} is impossible for ${input.length} compressed bytes`,
    );
  }
  const out = new Uint8Array(length);
  let ip = headerSize;
  let op = 0;
  const n = input.length;
  while (ip < n) {
    const tag = input[ip++];
    const kind = tag & 3;
    if (kind === 0) {
      let len = tag >>> 2;
      if (len >= 60) {
        const extra = len - 59;
        if (ip + extra > n) throw new SnappyError("truncated literal length");
        len = 0;
        for (let i = 0; i < extra; i++) len += input[ip + i] * 2 ** (8 * i);
        ip += extra;
      }
      len += 1;
      if (ip + len > n) throw new SnappyError(`literal of ${len} bytes runs past the input`);
      if (op + len > length) throw new SnappyError("output longer than declared");
      out.set(input.subarray(ip, ip + len), op);
      ip += len;
      op += len;
      continue;
    }
    let len: number;
    let offset: number;
    if (kind === 1) {
      if (ip + 1 > n) throw new SnappyError("truncated copy");
      len = ((tag >>> 2) & 7) + 4;
      offset = ((tag >>> 5) << 8) | input[ip++];
    } else if (kind === 2) {
      if (ip + 2 > n) throw new SnappyError("truncated copy");
      len = (tag >>> 2) + 1;
      offset = input[ip] | (input[ip + 1] << 8);
      ip += 2;
    } else {
      if (ip + 4 > n) throw new SnappyError("truncated copy");
      len = (tag >>> 2) + 1;
      offset = (input[ip] | (input[ip + 1] << 8) | (input[ip + 2] << 16)) +
        input[ip + 3] * 0x1000000;
      ip += 4;
    }
    if (offset === 0 || offset > op) {
      throw new SnappyError(`copy offset ${offset} out of range at output position ${op}`);
    }
    if (op + len > length) throw new SnappyError("output longer than declared");
    if (offset >= len) {
      out.copyWithin(op, op - offset, op - offset + len);
      op += len;
    } else {
      // Overlapping copy: repeats the last `offset` bytes.
      for (let i = 0; i < len; i++, op++) out[op] = out[op - offset];
    }
  }
  if (op !== length) throw new SnappyError(`output is ${op} bytes, declared ${length}`);
  return out;
}
