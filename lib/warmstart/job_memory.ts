/**
 * A job's memory budget as one buffer: the big buffers of every phase — a vocabulary join's
 * table, a remap pass's windows, spills and buckets — are carved from it and given back, so a
 * phase reuses the memory of the one before instead of leaving it to the garbage collector
 * (which frees large buffers late: without this, garbage of one phase is still resident when
 * the next allocates). First fit over a handful of blocks; a request that does not fit gets an
 * ordinary allocation.
 *
 * @module
 */

interface Block {
  offset: number;
  size: number;
  free: boolean;
}

/** Buffers carved from one budget-sized allocation (see module docs). */
export class JobMemory {
  readonly #bytes: number;
  #arena: ArrayBuffer | undefined;
  #blocks: Block[] = [];

  /** @param bytes the budget (allocated on first use) */
  constructor(bytes: number) {
    this.#bytes = Math.max(0, Math.floor(bytes / 8) * 8);
  }

  /** Bytes of the budget not handed out. */
  get free(): number {
    return this.#blocks.length === 0
      ? this.#bytes
      : this.#blocks.reduce((n, b) => n + (b.free ? b.size : 0), 0);
  }

  /**
   * `bytes` zero-filled bytes, from the budget when they fit in one free block, else newly
   * allocated. Give them back with {@link give}.
   */
  take(bytes: number): Uint8Array {
    const size = Math.ceil(bytes / 8) * 8; // 8-byte aligned views (Int32Array, Float64Array)
    if (size > 0 && size <= this.#bytes) {
      if (!this.#arena) {
        this.#arena = new ArrayBuffer(this.#bytes);
        this.#blocks = [{ offset: 0, size: this.#bytes, free: true }];
      }
      const i = this.#blocks.findIndex((b) => b.free && b.size >= size);
      if (i >= 0) {
        const b = this.#blocks[i];
        if (b.size > size) {
          this.#blocks.splice(i + 1, 0, {
            offset: b.offset + size,
            size: b.size - size,
            free: true,
          });
          b.size = size;
        }
        b.free = false;
        const view = new Uint8Array(this.#arena, b.offset, bytes);
        view.fill(0);
        return view;
      }
    }
    return new Uint8Array(bytes);
  }

  /** An Int32Array of `count` zeros, taken like {@link take}. */
  takeInt32(count: number): Int32Array {
    const bytes = this.take(count * 4);
    return new Int32Array(bytes.buffer, bytes.byteOffset, count);
  }

  /** Gives a buffer from {@link take} back (others are left to the garbage collector). */
  give(view: ArrayBufferView | undefined): void {
    if (!view || view.buffer !== this.#arena) return;
    const i = this.#blocks.findIndex((b) => b.offset === view.byteOffset && !b.free);
    if (i < 0) return;
    this.#blocks[i].free = true;
    // Merge with free neighbours.
    const next = this.#blocks[i + 1];
    if (next?.free) {
      this.#blocks[i].size += next.size;
      this.#blocks.splice(i + 1, 1);
    }
    const prev = this.#blocks[i - 1];
    if (prev?.free) {
      prev.size += this.#blocks[i].size;
      this.#blocks.splice(i, 1);
    }
  }
}
