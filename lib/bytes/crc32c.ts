/**
 * CRC-32C (Castagnoli, reflected polynomial 0x82F63B78) with TF/LevelDB's mask, slicing-by-8.
 * See tensorflow/core/lib/hash/crc32c.h and tensorflow/core/lib/io/format.cc (block trailers).
 *
 * @module
 */

const POLY = 0x82f63b78;
/** Added by {@link maskCrc} (kMaskDelta). */
export const CRC_MASK_DELTA = 0xa282ead8;

/** 8 tables of 256 entries: T[k][b] = crc of byte b followed by k zero bytes. */
const TABLES: Uint32Array = (() => {
  const t = new Uint32Array(8 * 256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
    t[i] = c >>> 0;
  }
  for (let i = 0; i < 256; i++) {
    let c = t[i];
    for (let k = 1; k < 8; k++) {
      c = t[c & 0xff] ^ (c >>> 8);
      t[k * 256 + i] = c >>> 0;
    }
  }
  return t;
})();

/**
 * The CRC-32C of `bytes`. With `initial` = crc32c(a), returns crc32c(a ‖ bytes) (TF's Extend).
 *
 * @example crc32c(new TextEncoder().encode("123456789")) === 0xe3069283
 */
export function crc32c(bytes: Uint8Array, initial = 0): number {
  const t = TABLES;
  let crc = ~initial >>> 0;
  let i = 0;
  const n = bytes.length;
  // Slicing-by-8 over the bulk, byte at a time for the tail.
  const end8 = n - (n % 8);
  while (i < end8) {
    const lo = (crc ^ (bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) |
      (bytes[i + 3] << 24))) >>> 0;
    crc = t[1792 + (lo & 0xff)] ^ t[1536 + ((lo >>> 8) & 0xff)] ^
      t[1280 + ((lo >>> 16) & 0xff)] ^ t[1024 + (lo >>> 24)] ^
      t[768 + bytes[i + 4]] ^ t[512 + bytes[i + 5]] ^ t[256 + bytes[i + 6]] ^ t[bytes[i + 7]];
    i += 8;
  }
  while (i < n) crc = t[(crc ^ bytes[i++]) & 0xff] ^ (crc >>> 8);
  return ~crc >>> 0;
}

/** TF's Mask: rotate right by 15 and add {@link CRC_MASK_DELTA}. Stored checksums are masked. */
export function maskCrc(crc: number): number {
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + CRC_MASK_DELTA) >>> 0;
}

/** Inverse of {@link maskCrc}. */
export function unmaskCrc(masked: number): number {
  const r = (masked - CRC_MASK_DELTA) >>> 0;
  return ((r >>> 17) | (r << 15)) >>> 0;
}

// ---- combine: crc(a‖b) from crc(a), crc(b), len(b) (zlib's GF(2) matrix method) ----

function gf2MatrixTimes(mat: Uint32Array, vec: number): number {
  let sum = 0;
  let i = 0;
  while (vec !== 0) {
    if (vec & 1) sum ^= mat[i];
    vec >>>= 1;
    i++;
  }
  return sum >>> 0;
}

function gf2MatrixSquare(square: Uint32Array, mat: Uint32Array): void {
  for (let n = 0; n < 32; n++) square[n] = gf2MatrixTimes(mat, mat[n]);
}

/**
 * crc32c(a ‖ b) given crc32c(a), crc32c(b) and b's length, without the bytes (O(log len)).
 */
export function crc32cCombine(crcA: number, crcB: number, lengthB: number): number {
  if (lengthB <= 0) return crcA >>> 0;
  const even = new Uint32Array(32);
  const odd = new Uint32Array(32);
  odd[0] = POLY;
  let row = 1;
  for (let n = 1; n < 32; n++) {
    odd[n] = row;
    row <<= 1;
  }
  gf2MatrixSquare(even, odd); // 2 zero bits
  gf2MatrixSquare(odd, even); // 4 zero bits
  let crc1 = crcA >>> 0;
  let len = lengthB;
  do {
    gf2MatrixSquare(even, odd);
    if (len % 2 === 1) crc1 = gf2MatrixTimes(even, crc1);
    len = Math.floor(len / 2);
    if (len === 0) break;
    gf2MatrixSquare(odd, even);
    if (len % 2 === 1) crc1 = gf2MatrixTimes(odd, crc1);
    len = Math.floor(len / 2);
  } while (len !== 0);
  return (crc1 ^ crcB) >>> 0;
}
