/**
 * Runs the remap passes of a plan (plan.ts {@link RemapPass}): the window pass (map) reads OLD
 * sequentially, window by window, through the checkpoint's slice path, and writes each window's
 * spill — its needed rows grouped by bucket (remap_layout.ts) — to a sink: memory for a `memory`
 * pass, temporary objects through the job's store for a `buckets` pass (one object per window,
 * named from the job: spill_area.ts). The bucket pass (reduce) reads one section of every window's
 * spill back and emits the bucket's output rows in order, as chunks for the executor. Both are
 * pure functions of the plan and the pinned inputs, so they can run as separate tasks.
 *
 * Memory of a pass stays within the budget: a `buckets` map holds two windows (one read ahead),
 * three spills (two being written) and the row order of a group of windows (an eighth); the reduce holds at most two buckets (the next
 * one read ahead half-way through the current one), each at most half of it; a `memory` pass
 * holds its needed rows (at most half) plus the map's windows.
 *
 * @module
 */
import { crc32c, Crc32cStream, maskCrc } from "../bytes/mod.ts";
import { readBox, rowBox, storedTensor } from "../checkpoint/mod.ts";
import { settleEach } from "../storage/mod.ts";
import type { Task } from "./ordered_prefetch.ts";
import type { RemapPass, Segment } from "./plan.ts";
import {
  bucketCount,
  type BucketIndex,
  bucketIndex,
  gatherWindow,
  orderBytes,
  type PassLayout,
  passLayout,
  rowCopier,
  type WindowOrder,
  windowOrder,
  windowRows,
} from "./remap_layout.ts";
import type { JobMemory } from "./job_memory.ts";
import { jobMemoryFor } from "./chunk_buffers.ts";
import { fillBackup } from "./row_backup.ts";
import { chunkBuffer, type SegmentSources } from "./segment_reader.ts";
import { sourceId } from "./verify_sources.ts";
import { spillLocation } from "./spill_area.ts";
import type { ProgressEvent } from "./types.ts";

type RowsSegment = Extract<Segment, { kind: "rows" }>;

/** Where a pass's window spills are kept. */
interface SpillSink {
  /** True when written buffers are kept (memory): the map must not reuse them. */
  keeps: boolean;
  write(w: number, bytes: Uint8Array): Promise<void>;
  /** Bytes of window w's spill (read into `into` when the store can). */
  read(w: number, offset: number, length: number, into?: Uint8Array): Promise<Uint8Array>;
  /** Frees the memory or deletes the objects (best effort). */
  release(): Promise<void>;
}

/** Spills kept in the job memory (a `memory` pass: they fit half the budget). */
function memorySink(memory: JobMemory): SpillSink {
  const windows = new Map<number, Uint8Array>();
  return {
    keeps: true,
    write: (w, bytes) => Promise.resolve(void windows.set(w, bytes)),
    read: (w, offset, length) => Promise.resolve(windows.get(w)!.subarray(offset, offset + length)),
    release: () => {
      for (const b of windows.values()) memory.give(b);
      windows.clear();
      return Promise.resolve();
    },
  };
}

function storeSink(src: SegmentSources, spill: string, pass: number): SpillSink {
  const written = new Set<string>();
  return {
    keeps: false,
    async write(w, bytes) {
      const location = spillLocation(spill, pass, w);
      written.add(location);
      // One PUT per window: atomic, so a killed run never leaves a partial upload behind.
      await src.store.put(location, bytes, { temporary: true });
    },
    read: (w, offset, length, into) =>
      src.store.readRange(spillLocation(spill, pass, w), { offset, length }, into ? { into } : {}),
    async release() {
      await settleEach(written, (l) => src.store.delete(l));
      written.clear();
    },
  };
}

/** A bucket read back: each window's section (a view) and where each output row is. */
interface LoadedBucket {
  index: BucketIndex;
  sections: Uint8Array[];
  /** The pooled buffer of its sections and index (back to the pool when the bucket is used up). */
  buffer: Uint8Array;
}

interface PassState {
  pass: RemapPass;
  layout: PassLayout;
  sink: SpillSink;
  mapped?: Promise<void>;
  /** Loaded (or loading) buckets by section, with the chunk tasks still to use them. */
  buckets: Map<number, { bucket: Promise<LoadedBucket>; left: number }>;
  membersLeft: number;
  /** Bucket buffers free for reuse (at most two). */
  pool: Uint8Array[];
}

/** Options of {@link RemapRunner}. */
export interface RemapRunnerOptions {
  /** The job memory buffers are carved from (default: one of `tuning.memoryBytes`). */
  memory?: JobMemory;
  /** Progress callback. */
  onProgress?: (event: ProgressEvent) => void;
  /** Aborts the passes. */
  signal?: AbortSignal;
  /**
   * The window passes already ran and their spills are in the store (a task of a split job:
   * its job's map step wrote them): only the bucket passes run here, and nothing is deleted.
   */
  attached?: boolean;
}

/** `count` buffers of one size from the job memory, handed out in turn. */
class BufferRing {
  readonly #buffers: Uint8Array[] = [];
  #turn = 0;
  constructor(readonly memory: JobMemory, readonly size: number, readonly count: number) {}
  next(): Uint8Array {
    const i = this.#turn++ % this.count;
    this.#buffers[i] ??= this.memory.take(this.size);
    return this.#buffers[i];
  }
  release(): void {
    for (const b of this.#buffers) this.memory.give(b);
    this.#buffers.length = 0;
  }
}

function maxOf(values: Float64Array): number {
  let max = 0;
  for (const v of values) if (v > max) max = v;
  return max;
}

/** Spill writes of a window pass in flight at once (they overlap the gathering of the next). */
export const SPILLS_IN_FLIGHT = 2;

/** The remap passes of one job run (see module docs). */
export class RemapRunner {
  readonly #src: SegmentSources;
  readonly #spill: string;
  readonly #options: RemapRunnerOptions;
  readonly #states = new Map<number, PassState>();
  readonly #memory: JobMemory;

  /**
   * @param src the job's store, indexes and tuning
   * @param passes the plan's remap passes
   * @param spill the job's temporary area (spill_area.ts)
   * @param options progress and abort
   */
  constructor(
    src: SegmentSources,
    passes: RemapPass[],
    spill: string,
    options: RemapRunnerOptions = {},
  ) {
    this.#src = src;
    this.#spill = spill;
    this.#options = options;
    this.#memory = options.memory ?? jobMemoryFor(src.tuning);
    for (const pass of passes) {
      this.#states.set(pass.id, {
        pass,
        layout: passLayout(pass),
        sink: pass.strategy === "memory"
          ? memorySink(this.#memory)
          : storeSink(src, spill, pass.id),
        buckets: new Map(),
        membersLeft: pass.members.length,
        pool: [],
      });
    }
  }

  /** True when some pass spills to temporary storage. */
  get spills(): boolean {
    return [...this.#states.values()].some((s) => s.pass.strategy === "buckets");
  }

  /**
   * The source entries (verify_sources.ts sourceId) the window passes of {@link prepare} read:
   * the OLD tables of the `buckets` passes, checked on the way when read whole.
   */
  mappedSources(): Set<string> {
    const out = new Set<string>();
    for (const { pass } of this.#states.values()) {
      if (pass.strategy !== "buckets") continue;
      for (const p of storedTensor(this.#src.oldIndex, pass.oldKey).pieces) {
        out.add(sourceId("old", p.entry));
      }
    }
    return out;
  }

  /**
   * Runs the window pass of every `buckets` pass now, before any output is written (tables read
   * whole on the way are checked: SegmentSources.verified). A `memory` pass runs when its first
   * chunk is needed, so its rows are held no longer than necessary.
   */
  async prepare(): Promise<void> {
    for (const state of this.#states.values()) {
      if (state.pass.strategy === "buckets") await this.#mapped(state);
    }
  }

  /**
   * The chunk tasks of output rows [r0, r1) (default: all) of a rows segment read by a pass, in
   * output order. A call for all rows of every member releases the pass's spill after its last
   * chunk; a part (a task of a split job) leaves that to {@link cleanup}.
   *
   * @param seg the segment (its `pass` names the pass and member)
   * @param r0 first output row
   * @param r1 end of the rows
   * @returns tasks, each producing the next chunk
   */
  *tasks(seg: RowsSegment, r0 = 0, r1 = seg.rowMap.length): Generator<Task<Uint8Array>> {
    const state = seg.pass && this.#states.get(seg.pass.id);
    if (!state) throw new Error(`internal: no remap pass for a ${seg.strategy} segment`);
    const m = seg.pass!.member;
    const { pass } = state;
    const rb = pass.rowBytes;
    const batch = Math.max(1, Math.floor(this.#src.tuning.chunkBytes / rb));
    const rows = pass.members[m].length;
    const whole = r0 === 0 && r1 === rows;
    // The chunks of bucket k within [r0, r1): the bucket's chunk grid, clipped.
    const chunksOf = (k: number): Array<[number, number]> => {
      const b0 = k * pass.bucketRows;
      const b1 = Math.min(rows, b0 + pass.bucketRows);
      const out: Array<[number, number]> = [];
      for (let i0 = b0; i0 < b1; i0 += batch) {
        const lo = Math.max(i0, r0);
        const hi = Math.min(b1, i0 + batch, r1);
        if (lo < hi) out.push([lo, hi]);
      }
      return out;
    };
    const k0 = Math.floor(r0 / pass.bucketRows);
    const k1 = Math.min(bucketCount(pass, m), Math.ceil(r1 / pass.bucketRows));
    let tasksLeft = 0;
    for (let k = k0; k < k1; k++) tasksLeft += chunksOf(k).length;
    // Each bucket counts this call's chunks once: another call may share it (a task boundary
    // inside a bucket), and the bucket is released when the last chunk of all of them is done.
    const registered = new Set<number>();
    const bucket = (k: number) => {
      const first = !registered.has(k);
      registered.add(k);
      return this.#bucket(state, m, k, first ? chunksOf(k).length : 0);
    };
    for (let k = k0; k < k1; k++) {
      const chunks = chunksOf(k);
      for (let c = 0; c < chunks.length; c++) {
        const [i0, i1] = chunks[c];
        yield async () => {
          try {
            await this.#mapped(state);
            const loaded = await bucket(k);
            // Half-way through a bucket, the next one is read ahead.
            if (c === chunks.length >> 1 && k + 1 < k1) bucket(k + 1).catch(() => {});
            return await this.#chunk(seg, loaded, i0, i1);
          } finally {
            this.#used(state, m, k);
            if (--tasksLeft === 0 && whole && --state.membersLeft === 0) {
              await state.sink.release();
            }
          }
        };
      }
    }
  }

  /** Frees every pass's memory and deletes its spill (also after a failure). */
  async cleanup(): Promise<void> {
    await Promise.allSettled([...this.#states.values()].map((s) => {
      s.buckets.clear();
      for (const b of s.pool) this.#memory.give(b);
      s.pool.length = 0;
      return s.sink.release();
    }));
  }

  #mapped(state: PassState): Promise<void> {
    if (this.#options.attached && state.pass.strategy === "buckets") return Promise.resolve();
    state.mapped ??= this.#map(state);
    return state.mapped;
  }

  /** Number of windows of pass `id` (a split job cuts its window pass into map tasks). */
  windows(id: number): number {
    return this.#states.get(id)?.layout.windows ?? 0;
  }

  /**
   * Runs windows [w0, w1) of the window pass of `buckets` pass `id` (a map task of a split job):
   * their spills are written to the store, to be read by the bucket passes of other tasks.
   *
   * @returns when the OLD table is one stored entry, the CRC32C (unmasked) of each byte range of
   *   it the windows read — the job combines them to check the table without reading it again
   */
  async mapWindows(
    id: number,
    w0: number,
    w1: number,
  ): Promise<Array<{ offset: number; length: number; crc: number }>> {
    const state = this.#states.get(id);
    if (!state || state.pass.strategy !== "buckets") {
      throw new Error(`internal: no buckets pass ${id} to map`);
    }
    const entry = this.#src.oldIndex.get(state.pass.oldKey);
    const ranges: Array<{ offset: number; length: number; crc: number }> = [];
    const whole = entry !== undefined && entry.slices.length === 0;
    await this.#map(
      state,
      w0,
      w1,
      whole
        ? (start, count, crc) => {
          const rb = state.pass.rowBytes;
          ranges.push({ offset: start * rb, length: count * rb, crc });
        }
        : undefined,
    );
    return ranges;
  }

  /**
   * The window pass: windows [w0, w1) (default all) read once, their spills written to the
   * sink; `onWindow` gets each window's rows and their CRC32C.
   */
  async #map(
    state: PassState,
    w0 = 0,
    w1 = state.layout.windows,
    onWindow?: (start: number, count: number, crc: number) => void,
  ): Promise<void> {
    const { pass, layout } = state;
    const { store, oldIndex } = this.#src;
    const shape = oldIndex.get(pass.oldKey)?.shape ?? [];
    const signal = this.#options.signal;
    // Two band buffers (one being read ahead) and, unless the sink keeps them, two spill
    // buffers (one being written): reused window after window, so memory stays flat.
    const bands = new BufferRing(this.#memory, pass.windowRows * pass.rowBytes, 2);
    const spills = state.sink.keeps
      ? undefined
      : new BufferRing(this.#memory, maxOf(layout.spillBytes), SPILLS_IN_FLIGHT + 1);
    const verified = this.#src.verified;
    const read = (w: number) => {
      const { start, count } = windowRows(pass, w);
      return readBox(store, oldIndex, pass.oldKey, rowBox(shape, start, count), {
        ...(signal ? { signal } : {}),
        onVerified: (entry) => verified.add(sourceId("old", entry)),
        into: bands.next(),
      });
    };
    // The windows' row order, for a group of windows at a time (an eighth of the budget).
    const orderBudget = Math.max(1, Math.floor(this.#src.tuning.memoryBytes / 8));
    let order: WindowOrder | undefined;
    let orderBuffer: Uint8Array | undefined;
    const orderFor = (w: number): WindowOrder => {
      if (order && w < order.w0 + order.start.length - 1) return order;
      this.#memory.give(orderBuffer);
      const per = orderBytes(pass);
      let w1 = w + 1;
      let rows = layout.spillBytes[w] / pass.rowBytes;
      while (
        w1 < layout.windows && (rows + layout.spillBytes[w1] / pass.rowBytes) * per <= orderBudget
      ) {
        rows += layout.spillBytes[w1++] / pass.rowBytes;
      }
      orderBuffer = this.#memory.take(rows * per);
      return order = windowOrder(pass, layout, w, w1, orderBuffer);
    };
    const todo = [...layout.spillBytes.keys()].filter((w) =>
      w >= w0 && w < w1 && layout.spillBytes[w] > 0
    );
    // When the windows are the whole of a table stored as one entry, its stored CRC32C is checked
    // on the way (so the integrity check need not read it again).
    const entry = oldIndex.get(pass.oldKey);
    // (Its CRC on the second core where there is one: bytes/crc32c_stream.ts.)
    const crc = entry && entry.slices.length === 0 && pass.oldStart === 0 &&
        pass.oldEnd === entry.shape[0] && todo.length === layout.windows && layout.windows > 1
      ? new Crc32cStream()
      : undefined;
    let next = todo.length > 0 ? read(todo[0]) : undefined;
    next?.catch(() => {});
    const writing: Promise<void>[] = [];
    try {
      for (let k = 0; k < todo.length; k++) {
        signal?.throwIfAborted();
        const band = await next!;
        next = k + 1 < todo.length ? read(todo[k + 1]) : undefined; // one window read ahead
        next?.catch(() => {});
        await crc?.add(band);
        if (onWindow) {
          const { start, count } = windowRows(pass, todo[k]);
          onWindow(start, count, crc32c(band.subarray(0, count * pass.rowBytes)));
        }
        // Spills are written while the next windows are gathered; a spill buffer is reused
        // once its write is done.
        while (writing.length >= SPILLS_IN_FLIGHT) await writing.shift();
        const into = spills ? spills.next() : this.#memory.take(layout.spillBytes[todo[k]]);
        const spill = gatherWindow(pass, layout, orderFor(todo[k]), todo[k], band, into);
        const write = state.sink.write(todo[k], spill);
        write.catch(() => {});
        writing.push(write);
        this.#options.onProgress?.({
          phase: "write-data",
          message: `remap of ${pass.oldKey}: window ${k + 1} of ${todo.length} distributed ` +
            `(${pass.strategy})`,
        });
      }
      await Promise.all(writing);
      if (crc && entry && maskCrc(await crc.value()) === entry.crc32c) {
        verified.add(sourceId("old", entry)); // (a mismatch: the integrity check reports it)
      }
    } finally {
      crc?.close();
      await Promise.allSettled([next, ...writing]);
      bands.release();
      spills?.release();
      this.#memory.give(orderBuffer);
    }
  }

  /** Bucket k of member m, loaded on first use and kept for `chunks` more tasks. */
  #bucket(state: PassState, m: number, k: number, chunks: number): Promise<LoadedBucket> {
    const s = state.layout.firstSection[m] + k;
    let entry = state.buckets.get(s);
    if (!entry) {
      entry = { bucket: this.#load(state, m, k), left: 0 };
      state.buckets.set(s, entry);
    }
    entry.left += chunks;
    return entry.bucket;
  }

  /** One task of bucket k done; the last one releases it. */
  #used(state: PassState, m: number, k: number): void {
    const s = state.layout.firstSection[m] + k;
    const entry = state.buckets.get(s);
    if (entry && --entry.left === 0) {
      state.buckets.delete(s);
      entry.bucket.then((b) => {
        if (state.pool.length < 2) state.pool.push(b.buffer);
        else this.#memory.give(b.buffer);
      }, () => {});
    }
  }

  /** The bucket pass: one range of every window's spill. */
  async #load(state: PassState, m: number, k: number): Promise<LoadedBucket> {
    const { pass, layout, sink } = state;
    const s = layout.firstSection[m] + k;
    let bytes = 0;
    for (let w = 0; w < layout.windows; w++) bytes += layout.rows[w * layout.sections + s];
    bytes *= pass.rowBytes;
    // One buffer per loaded bucket, recycled once the bucket is used up: its sections (read from
    // the spill; a `memory` pass's are views of its windows), then the bucket's index.
    const dataBytes = sink.keeps ? 0 : Math.ceil((pass.bucketRows * pass.rowBytes) / 8) * 8;
    const buffer = state.pool.pop() ?? this.#memory.take(dataBytes + pass.bucketRows * 8);
    const ints = new Int32Array(buffer.buffer, buffer.byteOffset + dataBytes, 2 * pass.bucketRows);
    let at = 0;
    const sections = await Promise.all(
      Array.from({ length: layout.windows }, (_, w) => {
        const length = layout.rows[w * layout.sections + s] * pass.rowBytes;
        if (length === 0) return Promise.resolve(new Uint8Array(0));
        const into = sink.keeps ? undefined : buffer.subarray(at, at += length);
        return sink.read(w, layout.offsets[w * layout.sections + s], length, into);
      }),
    );
    const index = bucketIndex(pass, m, k, ints);
    return { index, sections, buffer };
  }

  /** Output rows [i0, i1) of the segment from a loaded bucket (and the backup). */
  async #chunk(
    seg: RowsSegment,
    bucket: LoadedBucket,
    i0: number,
    i1: number,
  ): Promise<Uint8Array> {
    const rb = seg.rowBytes;
    const { index, sections } = bucket;
    let missing = false;
    for (let i = i0; i < i1; i++) {
      if (index.window[i - index.start] < 0) {
        missing = true;
        break;
      }
    }
    const out = chunkBuffer(this.#src, (i1 - i0) * rb);
    if (missing) {
      await fillBackup(this.#src, seg.backup, seg.backupRowStart + i0, rb, out);
    }
    const copiers = new Map<number, (src: number, dst: number) => void>();
    for (let i = i0; i < i1; i++) {
      const w = index.window[i - index.start];
      if (w < 0) continue;
      let copy = copiers.get(w);
      if (!copy) copiers.set(w, copy = rowCopier(rb, sections[w], out));
      copy(index.row[i - index.start], i - i0);
    }
    return out;
  }
}
