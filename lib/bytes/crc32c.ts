/**
 * CRC-32C (Castagnoli, reflected polynomial 0x82F63B78) with TF/LevelDB's mask. Inputs of 256
 * bytes and more go through a 1 KiB embedded WebAssembly module (crc32c_wasm_bytes.ts: three
 * interleaved streams of slicing-by-8, about twice the JS speed); small ones, and any runtime
 * without WebAssembly, through slicing-by-8 in JS.
 * See tensorflow/core/lib/hash/crc32c.h and tensorflow/core/lib/io/format.cc (block trailers).
 *
 * @module
 */
import { STREAM, WASM_B64 } from "./crc32c_wasm_bytes.ts";

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

/** The WebAssembly path: its memory and its interleaved function. */
interface WasmCrc {
  stage: Uint8Array;
  crc3(ptr: number, len: number, crc: number): number;
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
}

/**
 * What another thread needs to run the same WebAssembly path (crc32c_stream.ts's worker): the
 * compiled module (a worker instantiates it without compiling, or importing this file, again),
 * the tables its memory starts with, and where inputs go.
 */
export interface WasmCrcParts {
  module: WebAssembly.Module;
  /** The memory's first `stageOffset` bytes: the slicing and stream-shift tables. */
  tables: Uint8Array;
  stageOffset: number;
  stageBytes: number;
}

/** Where inputs are copied in the module's memory, and at most how much per call. */
const STAGE_OFFSET = 65536;
const STAGE_BYTES = 1 << 20;
/** Smaller inputs stay in JS (the call and the copy cost more than they save). */
const WASM_MIN_BYTES = 256;

/** The register advanced over `n` zero bytes (builds the module's stream-shift tables). */
function shiftZeros(reg: number, n: number): number {
  for (let i = 0; i < n; i++) reg = TABLES[reg & 0xff] ^ (reg >>> 8);
  return reg >>> 0;
}

const WASM: WasmCrc | undefined = (() => {
  try {
    const bytes = Uint8Array.from(atob(WASM_B64), (c) => c.charCodeAt(0));
    const module = new WebAssembly.Module(bytes);
    const ex = new WebAssembly.Instance(module, {}).exports as {
      memory: WebAssembly.Memory;
      crc3(ptr: number, len: number, crc: number): number;
    };
    const pages = Math.ceil((STAGE_OFFSET + STAGE_BYTES) / 65536);
    ex.memory.grow(pages - ex.memory.buffer.byteLength / 65536);
    // Memory layout (scripts/crc32c_wasm_build.ts): [0, 16 KiB) slicing tables T[0..15],
    // [16 KiB, 20 KiB) the shift tables, inputs from 64 KiB.
    const mem = new Uint32Array(ex.memory.buffer);
    for (let i = 0; i < 256; i++) {
      let c = TABLES[i];
      mem[i] = c;
      for (let k = 1; k < 16; k++) {
        c = TABLES[c & 0xff] ^ (c >>> 8);
        mem[k * 256 + i] = c >>> 0;
      }
    }
    for (let j = 0; j < 4; j++) {
      for (let b = 0; b < 256; b++) mem[4096 + j * 256 + b] = shiftZeros(b << (8 * j), STREAM);
    }
    const stage = new Uint8Array(ex.memory.buffer, STAGE_OFFSET, STAGE_BYTES);
    // Checked once against the JS implementation (the check value of the CRC-32C catalogue).
    stage.set(new TextEncoder().encode("123456789"));
    if (ex.crc3(STAGE_OFFSET, 9, 0) >>> 0 !== 0xe3069283) return undefined;
    return { stage, crc3: ex.crc3, module, memory: ex.memory };
  } catch {
    return undefined; // no WebAssembly here: JS only
  }
})();

/** {@link WasmCrcParts} of this thread's module; undefined without WebAssembly. */
export function wasmCrcParts(): WasmCrcParts | undefined {
  if (!WASM) return undefined;
  const tables = new Uint8Array(WASM.memory.buffer, 0, STAGE_OFFSET).slice();
  return { module: WASM.module, tables, stageOffset: STAGE_OFFSET, stageBytes: STAGE_BYTES };
}

/**
 * The CRC-32C of `bytes`. With `initial` = crc32c(a), returns crc32c(a ‖ bytes) (TF's Extend).
 *
 * @example crc32c(new TextEncoder().encode("123456789")) === 0xe3069283
 */
export function crc32c(bytes: Uint8Array, initial = 0): number {
  if (WASM === undefined || bytes.length < WASM_MIN_BYTES) return crc32cJs(bytes, initial);
  let crc = initial >>> 0;
  for (let at = 0; at < bytes.length; at += STAGE_BYTES) {
    const part = bytes.subarray(at, at + STAGE_BYTES);
    WASM.stage.set(part);
    crc = WASM.crc3(STAGE_OFFSET, part.length, crc) >>> 0;
  }
  return crc;
}

/** {@link crc32c} in JS, slicing-by-8 (small inputs, and runtimes without WebAssembly). */
export function crc32cJs(bytes: Uint8Array, initial = 0): number {
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

// ---- combine: crc(a‖b) from crc(a), crc(b), len(b) (zlib 1.2.12's x^(8n) mod P method) ----

/** a × b modulo the polynomial, in the reflected domain (bit 31 is x^0). */
function multModP(a: number, b: number): number {
  let m = 0x80000000;
  let p = 0;
  for (;;) {
    if (a & m) {
      p ^= b;
      if ((a & (m - 1)) === 0) break;
    }
    m >>>= 1;
    b = b & 1 ? (b >>> 1) ^ POLY : b >>> 1;
  }
  return p >>> 0;
}

/** X2N[k] = x^(2^k) modulo the polynomial. */
const X2N: Uint32Array = (() => {
  const t = new Uint32Array(64);
  let p = 0x40000000; // x^1
  t[0] = p;
  for (let k = 1; k < 64; k++) t[k] = p = multModP(p, p);
  return t;
})();

/** x^(8n) modulo the polynomial: what appending n zero bytes multiplies a register by. */
function x8nModP(n: number): number {
  let p = 0x80000000; // x^0
  for (let k = 3; n > 0; k++, n = Math.floor(n / 2)) {
    if (n % 2 === 1) p = multModP(X2N[k & 63], p);
  }
  return p;
}

/**
 * crc32c(a ‖ b) given crc32c(a), crc32c(b) and b's length, without the bytes (O(log len); the
 * length is a plain number, exact up to 2^53).
 */
export function crc32cCombine(crcA: number, crcB: number, lengthB: number): number {
  if (lengthB <= 0) return crcA >>> 0;
  return (multModP(x8nModP(lengthB), crcA >>> 0) ^ crcB) >>> 0;
}
