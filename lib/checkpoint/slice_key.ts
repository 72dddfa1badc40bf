/**
 * Slice keys of partitioned tensors: `checkpoint::EncodeTensorNameSlice` in OrderedCode
 * (tensorflow/core/util/saved_tensor_slice_util.cc, EncodeTensorNameSlice): NumIncreasing(0) ‖ String(full key) ‖ NumIncreasing(rank) ‖ per dimension
 * SignedNumIncreasing(start) ‖ SignedNumIncreasing(length), with −1 as the length of a full
 * dimension (start 0).
 *
 * @module
 */
import { CorruptCheckpointError } from "./errors.ts";
import type { TensorSlice } from "./types.ts";
import { ByteWriter } from "../bytes/mod.ts";
import { toHex } from "./keys.ts";

const K_BITS_TO_LENGTH = [
  1,
  1,
  1,
  1,
  1,
  1,
  1,
  2,
  2,
  2,
  2,
  2,
  2,
  2,
  3,
  3,
  3,
  3,
  3,
  3,
  3,
  4,
  4,
  4,
  4,
  4,
  4,
  4,
  5,
  5,
  5,
  5,
  5,
  5,
  5,
  6,
  6,
  6,
  6,
  6,
  6,
  6,
  7,
  7,
  7,
  7,
  7,
  7,
  7,
  8,
  8,
  8,
  8,
  8,
  8,
  8,
  9,
  9,
  9,
  9,
  9,
  9,
  9,
  10,
];
/** kLengthToHeaderBits[len] = [first byte, second byte]. */
const K_HEADER: ReadonlyArray<readonly [number, number]> = [
  [0, 0],
  [0x80, 0],
  [0xc0, 0],
  [0xe0, 0],
  [0xf0, 0],
  [0xf8, 0],
  [0xfc, 0],
  [0xfe, 0],
  [0xff, 0],
  [0xff, 0x80],
  [0xff, 0xc0],
];

function writeNumIncreasing(w: ByteWriter, v: number): void {
  const bytes: number[] = [];
  while (v > 0) {
    bytes.unshift(v % 256);
    v = Math.floor(v / 256);
  }
  w.u8(bytes.length);
  for (const b of bytes) w.u8(b);
}

function writeString(w: ByteWriter, s: Uint8Array): void {
  for (const b of s) {
    if (b === 0x00) w.u8(0x00).u8(0xff);
    else if (b === 0xff) w.u8(0xff).u8(0x00);
    else w.u8(b);
  }
  w.u8(0x00).u8(0x01);
}

function writeSignedNumIncreasing(w: ByteWriter, value: number): void {
  const v = BigInt(value);
  const x = v < 0n ? ~v : v;
  if (x < 64n) {
    w.u8(Number(BigInt.asUintN(8, v)) ^ 0x80);
    return;
  }
  const n = x.toString(2).length;
  const len = K_BITS_TO_LENGTH[n];
  const twos = BigInt.asUintN(80, v);
  const buf: number[] = [];
  for (let i = 9; i >= 0; i--) buf.push(Number((twos >> BigInt(8 * i)) & 0xffn));
  const out = buf.slice(10 - len);
  out[0] ^= K_HEADER[len][0];
  if (len > 1) out[1] ^= K_HEADER[len][1];
  for (const b of out) w.u8(b);
}

/** Encodes the key under which TF stores `slice` of the tensor `fullKey`. */
export function encodeSliceKey(fullKey: Uint8Array, slice: TensorSlice): Uint8Array {
  const w = new ByteWriter(fullKey.length + 8 + slice.length * 4);
  writeNumIncreasing(w, 0);
  writeString(w, fullKey);
  writeNumIncreasing(w, slice.length);
  for (const e of slice) {
    const full = e.length === -1;
    writeSignedNumIncreasing(w, full ? 0 : e.start);
    writeSignedNumIncreasing(w, full ? -1 : e.length);
  }
  return w.finish();
}

/** A decoded slice key. */
export interface DecodedSliceKey {
  fullKey: Uint8Array;
  slice: TensorSlice;
}

/**
 * Decodes a slice key; throws CorruptCheckpointError when `key` is not one (use
 * {@link isSliceKey} first to test cheaply).
 */
export function decodeSliceKey(key: Uint8Array): DecodedSliceKey {
  let pos = 0;
  const fail = (why: string): never => {
    throw new CorruptCheckpointError(`Not a slice key (${why}): 0x${toHex(key)}`, {
      key: `0x${toHex(key)}`,
      offset: pos,
    });
  };
  const byte = () => (pos < key.length ? key[pos++] : fail("truncated"));
  const readNum = () => {
    const k = byte();
    if (k > 8) fail("number too long");
    let v = 0;
    for (let i = 0; i < k; i++) v = v * 256 + byte();
    return v;
  };
  if (readNum() !== 0) fail("does not start with 0");
  const name: number[] = [];
  for (;;) {
    const b = byte();
    if (b === 0x00) {
      const n = byte();
      if (n === 0x01) break;
      if (n === 0xff) name.push(0x00);
      else fail("bad string escape");
    } else if (b === 0xff) {
      if (byte() !== 0x00) fail("bad string escape");
      name.push(0xff);
    } else {
      name.push(b);
    }
  }
  const rank = readNum();
  const readSigned = (): number => {
    const b0 = byte();
    const negative = (b0 & 0x80) === 0;
    const b1 = pos < key.length ? key[pos] : (negative ? 0xff : 0x00);
    const header = negative ? (~((b0 << 8) | b1)) & 0xffff : (b0 << 8) | b1;
    let len = 0;
    while (len < 16 && (header & (0x8000 >> len)) !== 0) len++;
    if (len < 1 || len > 10) fail("bad signed number");
    const bytes = [b0];
    for (let i = 1; i < len; i++) bytes.push(byte());
    bytes[0] ^= K_HEADER[len][0];
    if (len > 1) bytes[1] ^= K_HEADER[len][1];
    let u = 0n;
    for (const b of bytes) u = (u << 8n) | BigInt(b);
    const v = BigInt.asIntN(len * 8, u);
    return Number(v);
  };
  const slice: TensorSlice = [];
  for (let d = 0; d < rank; d++) {
    const start = readSigned();
    const length = readSigned();
    slice.push(length === -1 ? { start: 0, length: -1 } : { start, length });
  }
  if (pos !== key.length) fail("trailing bytes");
  return { fullKey: new Uint8Array(name), slice };
}

/** Cheap test: slice keys start with NumIncreasing(0) = 0x00; ordinary names never do. */
export function isSliceKey(key: Uint8Array): boolean {
  return key.length > 0 && key[0] === 0x00;
}
