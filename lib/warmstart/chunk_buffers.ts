/**
 * The recycled buffers of a job's streamed chunks, from its job memory: output chunks (the
 * executor holds at most `readAhead` chunks ahead, and a store is done with a chunk when it
 * pulls the next: store.ts WritePiece) and the bands a `runs` remap reads a chunk's OLD rows in.
 * Recycling them keeps a job's memory flat instead of leaving a chunk's worth of garbage per
 * chunk to the collector.
 *
 * @module
 */
import { JobMemory } from "./job_memory.ts";
import type { Tuning } from "./tuning.ts";

/** Buffers handed out in turn, each reused after `count - 1` others. */
class Ring {
  readonly #buffers: Uint8Array[] = [];
  #turn = 0;
  constructor(readonly memory: JobMemory, readonly size: number, readonly count: number) {}
  next(): Uint8Array {
    const i = this.#turn++ % this.count;
    return this.#buffers[i] ??= this.memory.take(this.size);
  }
  release(): void {
    for (const b of this.#buffers) this.memory.give(b);
    this.#buffers.length = 0;
  }
}

/** A job's recycled chunk and band buffers (see module docs). */
export class ChunkBuffers {
  readonly #chunks: Ring;
  readonly #bands: Ring;

  /**
   * @param memory the job memory they come from
   * @param tuning chunk size and read-ahead
   */
  constructor(memory: JobMemory, tuning: Tuning) {
    const count = ringCount(tuning);
    this.#chunks = new Ring(memory, tuning.chunkBytes, count);
    this.#bands = new Ring(memory, BAND_CHUNKS * tuning.chunkBytes, count);
  }

  /** A buffer of `chunkBytes` for the next output chunk. */
  chunk(): Uint8Array {
    return this.#chunks.next();
  }

  /** A buffer of {@link BAND_CHUNKS} × `chunkBytes` for the OLD rows of the next chunk. */
  band(): Uint8Array {
    return this.#bands.next();
  }

  /** Gives every buffer back. */
  release(): void {
    this.#chunks.release();
    this.#bands.release();
  }
}

/** A band of OLD rows spans at most this many chunks (else the rows are read as runs). */
export const BAND_CHUNKS = 2;

/**
 * Buffers per ring: one more than the executor can hold (read ahead, the one yielded, the one
 * being written).
 */
function ringCount(tuning: Tuning): number {
  return tuning.readAhead + 3;
}

/**
 * A job's memory: the budget (`memoryBytes`) plus its chunk and band rings, so that every buffer
 * a row copy reads or writes is a view of one buffer (remap_layout.ts rowCopier: a native copy
 * there, a word loop across buffers).
 */
export function jobMemoryFor(tuning: Tuning): JobMemory {
  return new JobMemory(
    tuning.memoryBytes + ringCount(tuning) * (1 + BAND_CHUNKS) * tuning.chunkBytes,
  );
}
