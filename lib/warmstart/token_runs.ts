/**
 * A vocabulary's tokens of the join partitions after the first, spilled once (vocab_index.ts):
 * so a join of P partitions reads each vocabulary file once for its tokens instead of P times —
 * linear in the vocabulary however many partitions the budget needs (a Grace hash join).
 * Tokens arrive in line order; each is appended to a run buffer as a record, and a full run is
 * sorted by partition (stable: line order within a partition) and written as one temporary
 * object through the job's store. Partition p is then read back as one range of every run, in
 * run order, so its tokens come back in line order.
 *
 * A record is [line, hash, length] as Int32s, then the token's bytes, padded to 4. Memory: the
 * run being filled plus {@link RUNS_IN_FLIGHT} sorted runs being written, then, per partition,
 * two read buffers of one section.
 *
 * @module
 */
import { settleEach } from "../storage/mod.ts";
import type { JobMemory } from "./job_memory.ts";
import type { TokenBatch } from "./vocab_file.ts";

/** Where runs are written: temporary objects of the job (spill_area.ts), through its store. */
export interface TokenSpill {
  /** The prefix of the objects (the job's temporary area). */
  area: string;
  put(location: string, bytes: Uint8Array, options: { temporary: true }): Promise<unknown>;
  readRange(
    location: string,
    range: { offset: number; length: number },
    options?: { into?: Uint8Array },
  ): Promise<Uint8Array>;
  delete(location: string): Promise<void>;
}

/** Sorted runs being written at once (the next run fills meanwhile). */
export const RUNS_IN_FLIGHT = 2;

const HEADER = 12;

/** Bytes of a token's record. */
function recordBytes(n: number): number {
  return HEADER + Math.ceil(n / 4) * 4;
}

/** The runs of one vocabulary file: written by {@link add}, read back by {@link read}. */
export class TokenRuns {
  readonly #spill: TokenSpill;
  readonly #name: string;
  readonly #partitions: number;
  readonly #runBytes: number;
  readonly #memory: JobMemory | undefined;
  /** The run being filled, and where each record starts and its partition. */
  #run: Uint8Array;
  #ints: Int32Array;
  #used = 0;
  #starts: Int32Array;
  #parts: Uint8Array;
  #count = 0;
  /** Sorted runs, free for reuse. */
  readonly #free: Uint8Array[] = [];
  readonly #writing: Promise<void>[] = [];
  /** Per written run, the byte offset of each partition's section (P + 1 entries). */
  readonly #sections: Float64Array[] = [];
  #failed: unknown;

  /**
   * @param spill where runs go
   * @param name the file's part of the object names (unique in the job)
   * @param partitions the join's partitions (at most 255)
   * @param runBytes bytes of a run (a multiple of 4)
   * @param memory the job memory buffers are carved from
   */
  constructor(
    spill: TokenSpill,
    name: string,
    partitions: number,
    runBytes: number,
    memory?: JobMemory,
  ) {
    this.#spill = spill;
    this.#name = name;
    this.#partitions = partitions;
    this.#runBytes = Math.max(64, Math.ceil(runBytes / 4) * 4);
    this.#memory = memory;
    this.#run = this.#take(this.#runBytes);
    this.#ints = new Int32Array(this.#run.buffer, this.#run.byteOffset, this.#runBytes / 4);
    const most = this.#runBytes / HEADER;
    this.#starts = new Int32Array(most);
    this.#parts = new Uint8Array(most);
  }

  #take(n: number): Uint8Array {
    return this.#memory?.take(n) ?? new Uint8Array(n);
  }

  #location(r: number): string {
    return `${this.#spill.area}vocab-${this.#name}.run-${r}`;
  }

  /** Appends the batch's tokens whose partition (`parts[b]`) is not 0; synchronous. */
  add(batch: TokenBatch, parts: Uint8Array): void {
    const buf = batch.buf;
    for (let b = 0; b < batch.count; b++) {
      const p = parts[b];
      if (p === 0) continue;
      const start = batch.start[b];
      const n = batch.end[b] - start;
      const size = recordBytes(n);
      if (size > this.#runBytes) {
        this.#seal();
        this.#single(batch, b, p, size);
        continue;
      }
      if (this.#used + size > this.#runBytes) this.#seal();
      const at = this.#used;
      const i = at >> 2;
      this.#ints[i] = batch.line[b];
      this.#ints[i + 1] = batch.hash[b];
      this.#ints[i + 2] = n;
      const run = this.#run;
      const to = at + HEADER;
      if (n <= 32) { for (let i = 0; i < n; i++) run[to + i] = buf[start + i]; }
      else run.set(buf.subarray(start, start + n), to);
      this.#starts[this.#count] = at;
      this.#parts[this.#count++] = p;
      this.#used = at + size;
    }
  }

  /**
   * Waits while more than {@link RUNS_IN_FLIGHT} runs are being written (called between chunks
   * of the scan: the back-pressure the synchronous {@link add} cannot apply).
   */
  async drain(): Promise<void> {
    while (this.#writing.length > RUNS_IN_FLIGHT) await this.#writing.shift();
    if (this.#failed) throw this.#failed;
  }

  /** Writes the last run and waits for every write. */
  async finish(): Promise<void> {
    this.#seal();
    while (this.#writing.length > 0) await this.#writing.shift();
    if (this.#failed) throw this.#failed;
    this.#memory?.give(this.#run);
    this.#run = new Uint8Array(0);
    for (const b of this.#free.splice(0)) this.#memory?.give(b);
  }

  /** Sorts the run by partition and starts its write (nothing when it is empty). */
  #seal(): void {
    if (this.#count === 0) return;
    const P = this.#partitions;
    const offsets = new Float64Array(P + 1);
    for (let k = 0; k < this.#count; k++) {
      offsets[this.#parts[k] + 1] += recordBytes(this.#ints[(this.#starts[k] >> 2) + 2]);
    }
    for (let p = 1; p <= P; p++) offsets[p] += offsets[p - 1];
    const sorted = this.#free.pop() ?? this.#take(this.#runBytes);
    const cursor = offsets.slice(0, P);
    // Records are whole Int32 words: copied word by word (no view per record).
    const from = this.#ints;
    const to = new Int32Array(sorted.buffer, sorted.byteOffset, sorted.length >> 2);
    for (let k = 0; k < this.#count; k++) {
      const i = this.#starts[k] >> 2;
      const words = recordBytes(from[i + 2]) >> 2;
      const j = cursor[this.#parts[k]] >> 2;
      for (let w = 0; w < words; w++) to[j + w] = from[i + w];
      cursor[this.#parts[k]] += words << 2;
    }
    this.#count = 0;
    this.#used = 0;
    this.#write(sorted.subarray(0, offsets[P]), offsets, () => this.#free.push(sorted));
  }

  /** A token longer than a run: a run of its own. */
  #single(batch: TokenBatch, b: number, p: number, size: number): void {
    const n = batch.end[b] - batch.start[b];
    const run = new Uint8Array(size);
    const ints = new Int32Array(run.buffer, 0, HEADER / 4);
    ints[0] = batch.line[b];
    ints[1] = batch.hash[b];
    ints[2] = n;
    run.set(batch.buf.subarray(batch.start[b], batch.end[b]), HEADER);
    const offsets = new Float64Array(this.#partitions + 1);
    for (let q = p + 1; q <= this.#partitions; q++) offsets[q] = size;
    this.#write(run, offsets, () => {});
  }

  #write(bytes: Uint8Array, offsets: Float64Array, done: () => void): void {
    const location = this.#location(this.#sections.length);
    this.#sections.push(offsets);
    this.#writing.push(
      this.#spill.put(location, bytes, { temporary: true }).then(
        () => done(),
        (e) => void (this.#failed ??= e),
      ),
    );
  }

  /**
   * The tokens of partition `p` (≥ 1) in line order, a batch at a time.
   *
   * @param p the partition
   * @param visit called per batch (its buffer is reused after the call)
   * @param batchSize tokens per batch
   */
  async read(p: number, visit: (batch: TokenBatch) => void, batchSize = 512): Promise<void> {
    const batch: TokenBatch = {
      buf: new Uint8Array(0),
      count: 0,
      start: new Int32Array(batchSize),
      end: new Int32Array(batchSize),
      line: new Int32Array(batchSize),
      hash: new Int32Array(batchSize),
    };
    let most = 0;
    for (const s of this.#sections) most = Math.max(most, s[p + 1] - s[p]);
    if (most === 0) return;
    const buffers = [this.#take(most), this.#take(most)];
    const section = (r: number) => {
      const s = this.#sections[r];
      const length = s[p + 1] - s[p];
      if (length === 0) return Promise.resolve(new Uint8Array(0));
      return this.#spill.readRange(this.#location(r), { offset: s[p], length }, {
        into: buffers[r & 1],
      });
    };
    try {
      let next = section(0);
      for (let r = 0; r < this.#sections.length; r++) {
        const bytes = await next;
        next = r + 1 < this.#sections.length ? section(r + 1) : Promise.resolve(new Uint8Array(0));
        next.catch(() => {});
        const ints = new Int32Array(bytes.buffer, bytes.byteOffset, bytes.length >> 2);
        batch.buf = bytes;
        batch.count = 0;
        for (let at = 0; at < bytes.length;) {
          const i = at >> 2;
          const n = ints[i + 2];
          const k = batch.count++;
          batch.line[k] = ints[i];
          batch.hash[k] = ints[i + 1];
          batch.start[k] = at + HEADER;
          batch.end[k] = at + HEADER + n;
          at += recordBytes(n);
          if (batch.count === batchSize) {
            visit(batch);
            batch.count = 0;
          }
        }
        if (batch.count > 0) visit(batch);
      }
      await next;
    } finally {
      for (const b of buffers) this.#memory?.give(b);
    }
  }

  /** Deletes the runs (best effort) and gives the buffers back. */
  async release(): Promise<void> {
    await Promise.allSettled(this.#writing);
    this.#writing.length = 0;
    this.#memory?.give(this.#run);
    this.#run = new Uint8Array(0);
    for (const b of this.#free.splice(0)) this.#memory?.give(b);
    // Every run started is deleted, written or not (a failed put leaves nothing to find).
    await settleEach(this.#sections.keys(), (r) => this.#spill.delete(this.#location(r)));
    this.#sections.length = 0;
  }
}
