/**
 * The twin of {@link ByteReader}: appends little-endian fixed-width integers, varints and raw
 * bytes to a growable buffer. 64-bit values are encoded with arithmetic, never bit operators.
 *
 * @module
 */

/** Appends primitives to a growing buffer; `finish()` returns the written bytes. */
export class ByteWriter {
  #buf: Uint8Array;
  #view: DataView;
  #len = 0;

  /**
   * An empty writer with room for `capacity` bytes (it grows as needed).
   *
   * @param capacity initial capacity in bytes
   */
  constructor(capacity = 256) {
    this.#buf = new Uint8Array(Math.max(16, capacity));
    this.#view = new DataView(this.#buf.buffer);
  }

  /** Number of bytes written so far. */
  get length(): number {
    return this.#len;
  }

  #reserve(n: number): void {
    const need = this.#len + n;
    if (need <= this.#buf.length) return;
    let cap = this.#buf.length * 2;
    while (cap < need) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.#buf.subarray(0, this.#len));
    this.#buf = next;
    this.#view = new DataView(next.buffer);
  }

  /** One byte (0..255). */
  u8(v: number): this {
    this.#reserve(1);
    this.#buf[this.#len++] = v & 0xff;
    return this;
  }

  /** A little-endian unsigned 32-bit integer. */
  fixed32(v: number): this {
    this.#reserve(4);
    this.#view.setUint32(this.#len, v >>> 0, true);
    this.#len += 4;
    return this;
  }

  /** A little-endian unsigned 64-bit integer given as a safe non-negative number. */
  fixed64(v: number): this {
    checkUnsigned(v);
    this.#reserve(8);
    this.#view.setUint32(this.#len, v % 0x100000000, true);
    this.#view.setUint32(this.#len + 4, Math.floor(v / 0x100000000), true);
    this.#len += 8;
    return this;
  }

  /** A minimal base-128 varint of a safe non-negative integer (covers varint32 and varint64). */
  varint(v: number): this {
    checkUnsigned(v);
    this.#reserve(10);
    while (v >= 0x80) {
      this.#buf[this.#len++] = (v % 128) | 0x80;
      v = Math.floor(v / 128);
    }
    this.#buf[this.#len++] = v;
    return this;
  }

  /** Raw bytes, copied. */
  bytes(b: Uint8Array): this {
    this.#reserve(b.length);
    this.#buf.set(b, this.#len);
    this.#len += b.length;
    return this;
  }

  /** The bytes written (a copy sized exactly). The writer can keep being used. */
  finish(): Uint8Array {
    return this.#buf.slice(0, this.#len);
  }

  /** Forgets everything written. */
  reset(): void {
    this.#len = 0;
  }
}

function checkUnsigned(v: number): void {
  if (!Number.isSafeInteger(v) || v < 0) {
    throw new RangeError(`Expected a safe non-negative integer, got ${v}`);
  }
}

/** Number of bytes of the minimal varint encoding of `v`. */
export function varintLength(v: number): number {
  let n = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}
