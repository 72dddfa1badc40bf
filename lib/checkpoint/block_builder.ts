/**
 * Builds one table block (tensorflow/core/lib/io/block_builder.cc): prefix-shared entries, a
 * restart point every `restartInterval` entries, then the restart array and its count.
 *
 * @module
 */
import { ByteWriter } from "../bytes/mod.ts";

/** Accumulates sorted entries of one block. */
export class BlockBuilder {
  readonly restartInterval: number;
  #buf = new ByteWriter(4096);
  #restarts: number[] = [0];
  #counter = 0;
  #lastKey: Uint8Array = new Uint8Array(0);
  #entries = 0;

  /** @param restartInterval entries between restart points (16 data, 1 index) */
  constructor(restartInterval: number) {
    this.restartInterval = restartInterval;
  }

  /** True when no entry was added since the last reset. */
  get empty(): boolean {
    return this.#entries === 0;
  }

  /** Appends an entry; keys must come in increasing order (the table writer checks). */
  add(key: Uint8Array, value: Uint8Array): void {
    let shared = 0;
    if (this.#counter < this.restartInterval) {
      const last = this.#lastKey;
      const m = Math.min(last.length, key.length);
      while (shared < m && last[shared] === key[shared]) shared++;
    } else {
      this.#restarts.push(this.#buf.length);
      this.#counter = 0;
    }
    this.#buf.varint(shared).varint(key.length - shared).varint(value.length);
    this.#buf.bytes(key.subarray(shared)).bytes(value);
    this.#lastKey = key;
    this.#counter++;
    this.#entries++;
  }

  /** CurrentSizeEstimate: entry bytes + 4 per restart + 4. */
  sizeEstimate(): number {
    return this.#buf.length + 4 * this.#restarts.length + 4;
  }

  /** The finished block contents (entries ‖ restarts ‖ count). */
  finish(): Uint8Array {
    const w = new ByteWriter(this.sizeEstimate());
    w.bytes(this.#buf.finish());
    for (const r of this.#restarts) w.fixed32(r);
    w.fixed32(this.#restarts.length);
    return w.finish();
  }

  /** Starts a new, empty block. */
  reset(): void {
    this.#buf.reset();
    this.#restarts = [0];
    this.#counter = 0;
    this.#lastKey = new Uint8Array(0);
    this.#entries = 0;
  }
}
