/**
 * A cursor over bytes: little-endian fixed-width integers and LevelDB/protobuf varints.
 * 64-bit values are decoded with arithmetic (never 32-bit bit operators) and returned as safe
 * numbers; anything above 2^53 - 1 throws.
 *
 * @module
 */

/** Reads primitives from a Uint8Array, advancing `pos`. Overruns throw RangeError. */
export class ByteReader {
  /** The bytes being read. */
  readonly buf: Uint8Array;
  /** Current position (0-based) in `bytes`. */
  pos: number;
  readonly #view: DataView;

  /**
   * Reads `bytes`, starting at `pos`.
   *
   * @param bytes the buffer to read
   * @param pos the starting position
   */
  constructor(bytes: Uint8Array, pos = 0) {
    this.buf = bytes;
    this.pos = pos;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** Bytes left after `pos`. */
  get remaining(): number {
    return this.buf.length - this.pos;
  }

  #need(n: number): void {
    if (n > this.buf.length - this.pos) {
      throw new RangeError(
        `Cannot read ${n} bytes at position ${this.pos}: only ${this.buf.length - this.pos} left`,
      );
    }
  }

  /** One unsigned byte. */
  u8(): number {
    this.#need(1);
    return this.buf[this.pos++];
  }

  /** A little-endian unsigned 32-bit integer. */
  fixed32(): number {
    this.#need(4);
    const v = this.#view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  /** A little-endian unsigned 64-bit integer as a safe number (throws above 2^53 - 1). */
  fixed64(): number {
    this.#need(8);
    const lo = this.#view.getUint32(this.pos, true);
    const hi = this.#view.getUint32(this.pos + 4, true);
    if (hi > 0x1fffff) {
      throw new RangeError(`fixed64 at position ${this.pos} exceeds 2^53`);
    }
    this.pos += 8;
    return hi * 0x100000000 + lo;
  }

  /** A varint of at most 5 bytes whose value fits 32 bits (unsigned). */
  varint32(): number {
    const start = this.pos;
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 5; i++) {
      this.#need(1);
      const b = this.buf[this.pos++];
      result += (b & 0x7f) * mul;
      if (b < 0x80) {
        if (result > 0xffffffff) throw new RangeError(`varint32 at position ${start} overflows`);
        return result;
      }
      mul *= 128;
    }
    throw new RangeError(`varint32 at position ${start} is longer than 5 bytes`);
  }

  /** A varint of at most 10 bytes, returned as a safe number (throws above 2^53 - 1). */
  varint64(): number {
    const start = this.pos;
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      this.#need(1);
      const b = this.buf[this.pos++];
      result += (b & 0x7f) * mul;
      if (b < 0x80) {
        if (!Number.isSafeInteger(result)) {
          throw new RangeError(`varint64 at position ${start} exceeds 2^53`);
        }
        return result;
      }
      mul *= 128;
    }
    throw new RangeError(`varint64 at position ${start} is longer than 10 bytes`);
  }

  /** The next `n` bytes as a view into the buffer (no copy). */
  bytes(n: number): Uint8Array {
    this.#need(n);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** Moves the cursor forward by `n` bytes. */
  skip(n: number): void {
    this.#need(n);
    this.pos += n;
  }
}
