/**
 * The vocabulary join of GenerateVocabRemapping (tensorflow/core/kernels/generate_vocab_remapping_op.cc):
 * for every line of the NEW vocabulary, the line of the same token in the OLD vocabulary (TF's
 * token -> old id HashTable), or -1. Exact — tokens are compared as bytes — and bounded in memory
 * whatever the vocabulary's size: the OLD tokens are split into hash partitions, each small
 * enough for the budget; per partition an open-addressing table of that partition's OLD tokens
 * (their bytes, line and hash) is built, then the partition's NEW tokens are looked up. A
 * vocabulary that fits the budget is one partition: one pass over each file (the OLD one checks
 * and indexes, the NEW one checks and looks up). Several partitions: a second OLD pass indexes
 * partition 0, the NEW pass looks it up, and both spill the other partitions' tokens once
 * (token_runs.ts: a Grace hash join, linear in the vocabulary), from which each further
 * partition is joined; without a spill (a dry run) each partition reads both files again. What
 * is kept is one Int32 per NEW line.
 *
 * @module
 */
import { SettingsError } from "./errors.ts";
import type { JobMemory } from "./job_memory.ts";
import { RUNS_IN_FLIGHT, TokenRuns, type TokenSpill } from "./token_runs.ts";
import {
  type LineSelection,
  printable,
  scanVocabulary,
  type TokenBatch,
  type TokenVisitor,
  VOCAB_CHUNK_BYTES,
  vocabError,
  type VocabScan,
  type VocabSource,
} from "./vocab_file.ts";

/** NEW line -> OLD line of two vocabulary files. */
export interface VocabRemapping {
  /** The NEW vocabulary file. */
  newLocation: string;
  /** Lines of the NEW file. */
  newSize: number;
  /** Per NEW line, the OLD line of the same token, or -1. */
  map: Int32Array;
}

/** Options of {@link joinVocabularies}. */
export interface JoinOptions {
  /** Bytes the join may hold (a partition's tokens and table, and two read buffers); 64 MiB. */
  memoryBytes?: number;
  /** Bytes per range read of a file (default: an eighth of the budget, 64 KiB to 8 MiB). */
  chunkBytes?: number;
  /** The job memory its buffers are carved from. */
  memory?: JobMemory;
  /**
   * Where the tokens of the partitions after the first are spilled (token_runs.ts), so each
   * file is read once for them; without it (a dry run writes nothing), each partition reads
   * both files again.
   */
  spill?: TokenSpill;
  /** This join's part of the spill's object names (unique in the job). */
  spillName?: string;
}

/** Highest load of a table (linear probing stays short below it). */
const LOAD = 0.75;

/**
 * Joins NEW vocabulary `newLocation` (every line) with the first `oldVocabSize` lines (-1: all)
 * of `oldLocation`, failing where TF fails, in TF's order: the NEW file's errors, then the OLD
 * file's, then the first repeated OLD token (TF's HashTable error).
 *
 * @param source the job's store
 * @param newLocation the NEW vocabulary file
 * @param oldLocation the OLD vocabulary file
 * @param oldVocabSize -1 or the number of OLD lines used
 * @param options memory budget and chunk size
 * @returns the NEW -> OLD line map
 */
export async function joinVocabularies(
  source: VocabSource,
  newLocation: string,
  oldLocation: string,
  oldVocabSize: number,
  options: JoinOptions = {},
): Promise<VocabRemapping> {
  const memoryBytes = Math.max(1, options.memoryBytes ?? 64 * 1024 * 1024);
  const chunkBytes = options.chunkBytes ??
    Math.min(VOCAB_CHUNK_BYTES, Math.max(64 * 1024, Math.floor(memoryBytes / 32)));
  // A partition's table: what the two read buffers (and, spilling, the token runs: the one
  // filled and those being written) leave, at least half the budget.
  const runBytes = chunkBytes;
  const spill = options.spill;
  const reserved = 2 * chunkBytes + (spill ? (1 + RUNS_IN_FLIGHT) * runBytes : 0);
  const budget = Math.max(memoryBytes / 2, memoryBytes - reserved);
  const memory = options.memory;
  const scan = (
    location: string,
    size: number,
    visit?: TokenVisitor,
    select?: LineSelection,
    afterChunk?: () => Promise<void>,
  ) =>
    scanVocabulary(source, location, size, visit, {
      chunkBytes,
      ...(memory ? { memory } : {}),
      ...(select ? { select } : {}),
      ...(afterChunk ? { afterChunk } : {}),
    });
  const oldSize = (await source.stat(oldLocation))?.size ?? 0; // (a missing file fails in scan)
  const newSize = (await source.stat(newLocation))?.size ?? 0;
  // Lines per byte, from the file's first chunk (which the first pass reads again): sizes the
  // table and the map before the lines are counted.
  const density = oldSize === 0
    ? 0
    : await linesPerByte(source, oldLocation, Math.min(chunkBytes, oldSize));

  let duplicate: Duplicate | undefined;
  /** Adds the batch's tokens of partition `p` (all when undefined) to `table`. */
  const insert = (table: TokenTable, batch: TokenBatch, keep?: (b: number) => boolean) => {
    table.touch(batch, keep);
    for (let b = 0; b < batch.count; b++) {
      if (keep && !keep(b)) continue;
      const line = batch.line[b];
      const first = table.insert(batch.buf, batch.start[b], batch.end[b], batch.hash[b], line);
      // Lines are inserted in order, so the first repeat found is the smallest of the tokens
      // inserted; TF reports the first repeat of the whole file.
      if (first >= 0 && (!duplicate || line < duplicate.line)) {
        const t = batch.buf.slice(batch.start[b], batch.end[b]);
        duplicate = { token: printable(t), first, line };
      }
    }
  };
  /** Looks the batch's tokens of the table's partition up; NEW line -> OLD line + 1. */
  let map = new Int32Array(0);
  const lookup = (table: TokenTable, batch: TokenBatch, keep?: (b: number) => boolean) => {
    const last = batch.line[batch.count - 1];
    if (last >= map.length) map = grow(map, Math.max(last + 1, Math.ceil(map.length * 1.25)));
    table.touch(batch, keep);
    for (let b = 0; b < batch.count; b++) {
      if (keep && !keep(b)) continue;
      const j = table.lookup(batch.buf, batch.start[b], batch.end[b], batch.hash[b]);
      map[batch.line[b]] = j + 1;
    }
  };

  let newLines = 0;
  // Each token's partition, a batch at a time.
  const parts = new Uint8Array(512);
  const partsOf = (batch: TokenBatch, P: number): Uint8Array => {
    const out = parts.length >= batch.count ? parts : new Uint8Array(batch.count);
    for (let b = 0; b < batch.count; b++) out[b] = partitionOf(batch.hash[b], P);
    return out;
  };

  /**
   * P partitions, their tokens spilled: the OLD file's second pass indexes partition 0 and
   * spills the others' tokens, the NEW file's pass looks partition 0 up and spills the rest;
   * then each partition is joined from its runs.
   */
  const joinSpilled = async (P: number, spill: TokenSpill) => {
    const name = options.spillName ?? "join";
    const oldRuns = new TokenRuns(spill, `${name}.old`, P, runBytes, memory);
    const newRuns = new TokenRuns(spill, `${name}.new`, P, runBytes, memory);
    try {
      // One pass over a file: every token's partition, partition 0 used, the others spilled.
      const pass = async (
        location: string,
        size: number,
        runs: TokenRuns,
        use: (batch: TokenBatch, keep: (b: number) => boolean) => void,
      ) => {
        const scanned = await scan(
          location,
          size,
          (batch) => {
            const p = partsOf(batch, P);
            runs.add(batch, p);
            use(batch, (b) => p[b] === 0);
          },
          undefined,
          () => runs.drain(),
        );
        await runs.finish();
        return scanned;
      };
      const first = share(P);
      await pass(oldLocation, oldVocabSize, oldRuns, (batch, keep) => insert(first, batch, keep));
      newLines = (await pass(newLocation, -1, newRuns, (batch, keep) => lookup(first, batch, keep)))
        .lines;
      first.release();
      // After a repeated OLD token the job fails, but every partition's OLD tokens are still
      // inserted: TF reports the first repeat of the whole file (the smallest line).
      for (let p = 1; p < P; p++) {
        const table = share(P);
        await oldRuns.read(p, (batch) => insert(table, batch));
        if (!duplicate) await newRuns.read(p, (batch) => lookup(table, batch));
        table.release();
      }
    } finally {
      await Promise.all([oldRuns.release(), newRuns.release()]);
    }
  };

  /** P partitions, each reading both files again (only its lines are hashed). */
  const joinRescanning = async (P: number) => {
    const t0 = share(P);
    const oldPart = new Uint8Array(old.lines);
    await scan(oldLocation, oldVocabSize, (batch) => {
      for (let b = 0; b < batch.count; b++) {
        oldPart[batch.line[b]] = partitionOf(batch.hash[b], P);
      }
      insert(t0, batch, (b) => oldPart[batch.line[b]] === 0);
    });
    let newPart: Uint8Array | undefined;
    for (let p = 0; p < P; p++) {
      const t = p === 0 ? t0 : share(P);
      if (p > 0) {
        await scan(oldLocation, oldVocabSize, (batch) => insert(t, batch), { part: oldPart, p });
        if (duplicate) {
          t.release();
          continue; // the job fails: only the OLD passes still matter
        }
      }
      if (p === 0) {
        const scanned = await scan(newLocation, -1, (batch) => {
          const last = batch.line[batch.count - 1];
          newPart ??= new Uint8Array(map.length);
          if (last >= newPart.length) newPart = grow(newPart, Math.ceil((last + 1) * 1.25));
          for (let b = 0; b < batch.count; b++) {
            newPart[batch.line[b]] = partitionOf(batch.hash[b], P);
          }
          lookup(t, batch, (b) => newPart![batch.line[b]] === 0);
        });
        newLines = scanned.lines;
      } else {
        await scan(newLocation, -1, (batch) => lookup(t, batch), { part: newPart!, p });
      }
      t.release();
    }
  };

  // The OLD file, first pass: checked and counted. When the density of its first lines says it
  // fits the budget, it is indexed whole on the way (if it does not fit after all, the index is
  // dropped); else it is only counted, and the exact counts decide the partitions, each a share
  // of the budget: a second pass notes every line's partition and indexes the first.
  let partitions = 1;
  let table: TokenTable | undefined;
  const index = { whole: "maybe" as "maybe" | "yes" | "no" }; // (set in the visitor)
  let old: VocabScan;
  const lines = density * oldSize * 1.05 + 16;
  const tokens = oldVocabSize > 0 ? Math.min(lines, oldVocabSize) : lines;
  const text = Math.min(oldSize, tokens / density) * 1.01 + 16; // (truncated: its share)
  // Newly allocated maps are sized for the NEW file's lines at the same density.
  map = new Int32Array(Math.ceil(density * newSize * 1.05) + 16);
  try {
    old = await scan(oldLocation, oldVocabSize, (batch) => {
      if (index.whole === "no") return;
      if (index.whole === "maybe") {
        index.whole = TokenTable.bytesFor(tokens, text) <= budget ? "yes" : "no";
        if (index.whole === "no") return;
        table = new TokenTable(tokens, text, memory);
      }
      insert(table!, batch);
      if (table!.bytes > budget) {
        table!.release(); // too big after all: partitions, below
        table = undefined;
        index.whole = "no";
      }
    });
  } catch (e) {
    table?.release();
    // TF reads the NEW file first: its errors win.
    if (e instanceof SettingsError) await scan(newLocation, -1);
    throw e;
  }
  const share = (p: number) =>
    new TokenTable(old.lines / p * 1.02 + 16, (old.tokenBytes + old.lines) / p * 1.02 + 16, memory);
  if (index.whole === "no") {
    // From the exact counts: 1 when the first lines' density misjudged a table that fits (a
    // vocabulary sorted by frequency starts with its shortest tokens), and then the OLD file is
    // indexed whole by a second pass, nothing spilled.
    partitions = Math.min(
      255,
      Math.max(
        1,
        Math.ceil(TokenTable.bytesFor(old.lines, old.tokenBytes + old.lines) * 1.03 / budget),
      ),
    );
  }
  if (index.whole === "no" && spill && partitions > 1) {
    await joinSpilled(partitions, spill);
  } else if (index.whole === "no") {
    await joinRescanning(partitions);
  } else {
    // One partition: the table is the whole OLD vocabulary.
    const t = table!;
    newLines = (await scan(newLocation, -1, (batch) => lookup(t, batch))).lines;
    t.release();
  }
  if (duplicate) {
    throw vocabError(
      `HashTable has different value for same key. Key ${duplicate.token} has ` +
        `${duplicate.first} and trying to add value ${duplicate.line} (duplicate token in ` +
        `${oldLocation})`,
      oldLocation,
    );
  }
  // Stored as line + 1 (0: absent, so a new or grown map needs no fill).
  const out = map.length === newLines ? map : map.subarray(0, newLines);
  for (let i = 0; i < newLines; i++) out[i]--;
  return { newLocation, newSize: newLines, map: out };
}

/** Lines per byte of the first `length` bytes of a file (at least one line). */
async function linesPerByte(
  source: VocabSource,
  location: string,
  length: number,
): Promise<number> {
  let bytes: Uint8Array;
  try {
    bytes = await source.readRange(location, { offset: 0, length });
  } catch {
    return 1 / 16; // the pass reports what is wrong with the file
  }
  let lines = 1;
  for (let i = 0; i < bytes.length - 1; i++) if (bytes[i] === 0x0a) lines++;
  return lines / bytes.length;
}

/** The partition of a token hash: its residue (the table uses the top bits). */
function partitionOf(h: number, partitions: number): number {
  return (h >>> 0) % partitions;
}

interface Duplicate {
  token: string;
  first: number;
  line: number;
}

/**
 * Open-addressing table of token bytes -> line (linear probing, load <= 3/4, slot = the hash's
 * top bits scaled to the capacity). A slot holds its token's hash, line and where its bytes are
 * (after their length, a varint), so a probe costs one cache miss and a hit one more (the bytes).
 */
class TokenTable {
  /** Slots of 3: [hash, line + 1 (0: empty), start of the length-prefixed bytes in #text]. */
  #slots: Int32Array;
  #capacity: number;
  #count = 0;
  #text: Uint8Array;
  #used = 0;
  /** Keeps {@link touch}'s loads from being optimized away. */
  #sink = 0;
  /** {@link touch}'s slot numbers (reused). */
  #at = new Int32Array(0);

  readonly #memory: JobMemory | undefined;

  constructor(expectedTokens: number, expectedBytes: number, memory?: JobMemory) {
    this.#memory = memory;
    this.#capacity = Math.max(16, Math.ceil(expectedTokens / LOAD));
    this.#slots = this.#take(3 * this.#capacity);
    this.#text = this.#takeBytes(Math.max(64, Math.ceil(expectedBytes)));
  }

  #take(ints: number): Int32Array {
    return this.#memory?.takeInt32(ints) ?? new Int32Array(ints);
  }

  #takeBytes(n: number): Uint8Array {
    return this.#memory?.take(n) ?? new Uint8Array(n);
  }

  /** Gives the table's buffers back to the job memory. */
  release(): void {
    this.#memory?.give(this.#slots);
    this.#memory?.give(this.#text);
    this.#slots = new Int32Array(0);
    this.#text = new Uint8Array(0);
  }

  /** Bytes held. */
  get bytes(): number {
    return this.#slots.byteLength + this.#text.byteLength;
  }

  /** Bytes a table for `tokens` tokens of `bytes` bytes starts with. */
  static bytesFor(tokens: number, bytes: number): number {
    return 12 * Math.max(16, Math.ceil(tokens / LOAD)) + Math.max(64, bytes);
  }

  /** The first slot of hash `h`. */
  #home(h: number): number {
    return Math.floor((h >>> 0) * (this.#capacity / 4294967296));
  }

  /**
   * Loads the first slot of every token of the batch, and the bytes of the tokens there: these
   * loads do not depend on each other, so the memory system serves them in parallel and the
   * probes that follow find them in cache.
   */
  touch(batch: TokenBatch, keep?: (b: number) => boolean): void {
    const slots = this.#slots;
    const text = this.#text;
    const scale = this.#capacity / 4294967296;
    let sink = 0;
    const at = this.#at.length >= batch.count ? this.#at : (this.#at = new Int32Array(batch.count));
    for (let b = 0; b < batch.count; b++) {
      at[b] = keep && !keep(b) ? -1 : 3 * Math.floor((batch.hash[b] >>> 0) * scale);
      if (at[b] >= 0) sink ^= slots[at[b] + 2];
    }
    for (let b = 0; b < batch.count; b++) {
      if (at[b] >= 0 && slots[at[b]] === batch.hash[b]) sink ^= text[slots[at[b] + 2]];
    }
    this.#sink ^= sink;
  }

  /** The slot (index of its first int) of the token, or of the free slot where it would go. */
  #find(buf: Uint8Array, start: number, end: number, h: number): number {
    const slots = this.#slots;
    const text = this.#text;
    const n = end - start;
    let slot = this.#home(h);
    for (;;) {
      const at = 3 * slot;
      if (slots[at + 1] === 0) return at;
      if (slots[at] === h) {
        // The stored length (a varint), then the bytes.
        let s = slots[at + 2];
        let length = 0;
        for (let shift = 0;; shift += 7) {
          const b = text[s++];
          length += (b & 0x7f) * 2 ** shift;
          if (b < 0x80) break;
        }
        if (length === n) {
          let i = 0;
          while (i < n && text[s + i] === buf[start + i]) i++;
          if (i === n) return at;
        }
      }
      if (++slot === this.#capacity) slot = 0;
    }
  }

  /** Adds a token; returns -1, or the line that already holds the same token. */
  insert(buf: Uint8Array, start: number, end: number, h: number, line: number): number {
    const at = this.#find(buf, start, end, h);
    if (this.#slots[at + 1] !== 0) return this.#slots[at + 1] - 1;
    const n = end - start;
    if (this.#used + n + 5 > this.#text.length) {
      const grown = Math.max(this.#used + n + 5, Math.floor(this.#text.length * 1.5));
      const text = this.#takeBytes(grown);
      text.set(this.#text.subarray(0, this.#used));
      this.#memory?.give(this.#text);
      this.#text = text;
    }
    const text = this.#text;
    const from = this.#used;
    let used = from;
    for (let v = n;; v = Math.floor(v / 128)) {
      if (v < 0x80) {
        text[used++] = v;
        break;
      }
      text[used++] = (v & 0x7f) | 0x80;
    }
    if (n <= 32) { for (let i = 0; i < n; i++) text[used + i] = buf[start + i]; }
    else text.set(buf.subarray(start, end), used);
    this.#used = used + n;
    const slots = this.#slots;
    slots[at] = h;
    slots[at + 1] = line + 1;
    slots[at + 2] = from;
    if (++this.#count > LOAD * this.#capacity) this.#rehash();
    return -1;
  }

  /** The line of the token, or -1. */
  lookup(buf: Uint8Array, start: number, end: number, h: number): number {
    return this.#slots[this.#find(buf, start, end, h) + 1] - 1;
  }

  #rehash(): void {
    const old = this.#slots;
    this.#capacity = Math.ceil(this.#capacity * 1.5);
    const slots = this.#take(3 * this.#capacity);
    for (let at = 0; at < old.length; at += 3) {
      if (old[at + 1] === 0) continue;
      let slot = this.#home(old[at]);
      while (slots[3 * slot + 1] !== 0) if (++slot === this.#capacity) slot = 0;
      const to = 3 * slot;
      slots[to] = old[at];
      slots[to + 1] = old[at + 1];
      slots[to + 2] = old[at + 2];
    }
    this.#memory?.give(old);
    this.#slots = slots;
  }
}

function grow<T extends Uint8Array | Int32Array>(a: T, atLeast: number): T {
  const b = new (a.constructor as { new (n: number): T })(Math.max(atLeast, a.length * 1.5 | 0));
  b.set(a);
  return b;
}

/**
 * GenerateVocabRemapping's result for NEW lines `offset .. offset+count-1`: a view of the map
 * (copy it before keeping it) and how many of them are in the OLD vocabulary.
 */
export function generateVocabRemapping(
  vocab: VocabRemapping,
  offset: number,
  count: number,
): { remapping: Int32Array; numPresent: number } {
  if (offset + count > vocab.newSize) {
    throw vocabError(
      `lookup table size must be larger than last new vocab entry's line: ` +
        `${vocab.newLocation} has ${vocab.newSize} lines but rows up to ${offset + count} are ` +
        "needed (new_vocab_size is larger than the new vocabulary file)",
      vocab.newLocation,
    );
  }
  const remapping = vocab.map.subarray(offset, offset + count);
  let numPresent = 0;
  for (let i = 0; i < count; i++) if (remapping[i] >= 0) numPresent++;
  return { remapping, numPresent };
}

/**
 * The row map of NEW lines `offset .. offset+count-1` followed by `extra` rows without an OLD
 * row (-1, the OOV buckets). A part ending at the vocabulary's end shares the join's buffer when
 * it has room (the tail past the map is nobody else's), so a large remap holds one map, not two;
 * otherwise a copy.
 */
export function rowMapFor(
  vocab: VocabRemapping,
  offset: number,
  count: number,
  extra: number,
): Int32Array {
  const map = vocab.map;
  const room = (map.buffer.byteLength - map.byteOffset) / 4;
  if (offset + count === map.length && map.length + extra <= room) {
    const view = new Int32Array(map.buffer, map.byteOffset + offset * 4, count + extra);
    view.fill(-1, count);
    return view;
  }
  const rowMap = new Int32Array(count + extra).fill(-1);
  rowMap.set(map.subarray(offset, offset + count));
  return rowMap;
}

/**
 * LoadAndRemapMatrix rejects two new positions taking the same old id (within one kernel call,
 * i.e. one partition).
 */
export function checkNoDuplicateOldIds(remapping: Int32Array, what: string): void {
  let max = -1;
  for (const j of remapping) if (j > max) max = j;
  const seen = new Uint8Array(max + 1); // one byte per old id; the first new id is found again
  for (let i = 0; i < remapping.length; i++) {
    const j = remapping[i];
    if (j < 0) continue;
    if (seen[j]) {
      const first = remapping.indexOf(j);
      throw new SettingsError(
        `Old ID ${j} is mapped to both new ID ${first} and ${i}, which is not supported ` +
          `(${what}: the new vocabulary repeats a token)`,
        {},
      );
    }
    seen[j] = 1;
  }
}
