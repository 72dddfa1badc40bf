/**
 * Vocabulary files exactly as TensorFlow's TextFileLineIterator reads them
 * (tensorflow/core/kernels/lookup_util.cc): one token per line, the whole line is the token (no
 * trimming), lines split on `\n` with one trailing `\r` dropped, a final line without newline
 * counts, empty lines are errors, and with a vocab_size only the first lines are read (and
 * validated). Files are streamed in bounded chunks through the store's range reads and never
 * held whole; tokens are bytes, never decoded.
 *
 * @module
 */
import { ObjectNotFoundError } from "../storage/mod.ts";
import { SettingsError } from "./errors.ts";
import type { JobMemory } from "./job_memory.ts";

/** What the line reader needs of a store (the job store). */
export interface VocabSource {
  /** Size and version (the job store pins it). */
  stat(location: string): Promise<{ size: number } | undefined>;
  /** Bytes of one range. */
  readRange(
    location: string,
    range: { offset: number; length: number },
    options?: { into?: Uint8Array },
  ): Promise<Uint8Array>;
}

/**
 * Tokens handed to a visitor together (so a visitor can overlap its memory accesses): token b
 * is `buf[start[b], end[b])` on line `line[b]`, with hash `hash[b]` ({@link hashToken}); valid
 * only during the call.
 */
export interface TokenBatch {
  /** The bytes the tokens are in. */
  buf: Uint8Array;
  /** Number of tokens. */
  count: number;
  start: Int32Array;
  end: Int32Array;
  line: Int32Array;
  hash: Int32Array;
}

/** Called with the tokens of a pass, in line order, a batch at a time. */
export type TokenVisitor = (batch: TokenBatch) => void;

/** Tokens per batch. */
const BATCH = 512;

/** What a pass over a vocabulary file found. */
export interface VocabScan {
  /** Tokens read (lines, up to the vocab size). */
  lines: number;
  /** Bytes of those tokens (without line ends). */
  tokenBytes: number;
}

/** Default bytes per range read of a vocabulary file (large enough that requests are few). */
export const VOCAB_CHUNK_BYTES = 8 * 1024 * 1024;

/** A SettingsError about a vocabulary file (field: its location). */
export function vocabError(message: string, location: string): SettingsError {
  return new SettingsError(message, { field: location });
}

/** Lines of a pass to visit: those whose entry in `part` is `p` (a partition's lines). */
export interface LineSelection {
  part: Uint8Array;
  p: number;
}

/**
 * Streams the tokens of the first `vocabSize` lines (-1: all) of `location`, in line order,
 * checking them like TF: an empty file, an empty line (with TF's position: the byte after it) and
 * a file with fewer than `vocabSize` lines are errors. Lines after the first `vocabSize` are
 * neither read nor validated (TF truncates).
 *
 * @param source the job's store
 * @param location the vocabulary file
 * @param vocabSize -1 or the number of lines to read
 * @param visit called per batch of tokens (optional: a checking pass needs none)
 * @param options bytes per range read; the job memory the two chunk buffers come from; which
 *   lines to visit (and hash) — the others are only counted and checked; a hook awaited after
 *   each chunk
 * @returns the number of tokens and their bytes
 * @throws SettingsError as TF fails (missing file, empty file or line, too few lines)
 */
export async function scanVocabulary(
  source: VocabSource,
  location: string,
  vocabSize: number,
  visit?: TokenVisitor,
  options: {
    chunkBytes?: number;
    memory?: JobMemory;
    select?: LineSelection;
    /** Awaited after each chunk's tokens are visited (a visitor's back-pressure). */
    afterChunk?: () => Promise<void>;
  } = {},
): Promise<VocabScan> {
  const chunkBytes = options.chunkBytes ?? VOCAB_CHUNK_BYTES;
  if (vocabSize === 0) {
    throw vocabError(
      `Invalid vocab_size in ${location}: old_vocab_size must be -1 (all lines) or positive, ` +
        "got 0 (TensorFlow fails reading such a vocabulary)",
      location,
    );
  }
  let size: number;
  try {
    const st = await source.stat(location);
    if (!st) throw new ObjectNotFoundError(`${location} does not exist`, { location });
    size = st.size;
  } catch (e) {
    if (e instanceof ObjectNotFoundError) throw missingFile(location);
    throw e;
  }
  if (size === 0) {
    throw vocabError(`Invalid content in ${location}: the vocabulary file is empty.`, location);
  }
  const s = new LineScanner(location, vocabSize < 0 ? Infinity : vocabSize, visit, options.select);
  // Two chunk buffers in turn (one read ahead): the tokens of a chunk are visited before its
  // buffer is read into again.
  const buffers: Uint8Array[] = [];
  let turn = 0;
  const take = (n: number) => options.memory?.take(n) ?? new Uint8Array(n);
  const read = (offset: number) => {
    const length = Math.min(chunkBytes, size - offset);
    const into = buffers[turn & 1] ??= take(Math.min(chunkBytes, size));
    turn++;
    return readChunk(source, location, offset, length, into);
  };
  let carry: Uint8Array | undefined; // the start of a line cut by a chunk boundary
  let pending: Promise<Uint8Array> | undefined = read(0);
  try {
    for (let offset = 0; pending && s.lines < s.limit;) {
      const buf = await pending;
      const base = offset;
      offset += buf.length;
      pending = offset < size ? read(offset) : undefined; // one chunk read ahead
      let at = 0;
      if (carry) {
        // The line cut by the boundary: joined, then taken like any other.
        const nl = buf.indexOf(0x0a);
        if (nl < 0) {
          carry = concat(carry, buf);
          continue;
        }
        const line = concat(carry, buf.subarray(0, nl));
        carry = undefined;
        s.whole(line, base + nl + 1);
        at = nl + 1;
      }
      at = scanLines(s, buf, at, base);
      if (at < buf.length && s.lines < s.limit) carry = buf.slice(at);
      s.flush(); // before this buffer is read into again
      await options.afterChunk?.();
    }
    // A final line without a newline counts.
    if (carry && s.lines < s.limit) s.whole(carry, size);
    s.flush();
  } finally {
    await pending?.catch(() => {}); // stopped early (vocab size reached): drop the read ahead
    for (const b of buffers) options.memory?.give(b);
  }
  if (vocabSize > 0 && s.lines < vocabSize) {
    throw vocabError(
      `Invalid vocab_size in ${location}: expected ${vocabSize} but got ${s.lines}`,
      location,
    );
  }
  return { lines: s.lines, tokenBytes: s.tokenBytes };
}

/** The state of one pass; the hot loop ({@link scanLines}) works on it, not on closures. */
class LineScanner {
  lines = 0;
  tokenBytes = 0;
  readonly batch: TokenBatch = {
    buf: new Uint8Array(0),
    count: 0,
    start: new Int32Array(BATCH),
    end: new Int32Array(BATCH),
    line: new Int32Array(BATCH),
    hash: new Int32Array(BATCH),
  };
  /** Visit every line (hashing each on the way), some lines, or none. */
  readonly mode: "all" | "some" | "none";

  constructor(
    readonly location: string,
    readonly limit: number,
    readonly visit: TokenVisitor | undefined,
    readonly select: LineSelection | undefined,
  ) {
    this.mode = !visit ? "none" : select ? "some" : "all";
  }

  /** TF's error for an empty line ending at absolute byte `next`. */
  empty(next: number): never {
    throw vocabError(
      `Invalid content in ${this.location}: empty line found at position ${next}.`,
      this.location,
    );
  }

  /** Adds token `buf[start, end)` of the current line to the batch. */
  push(buf: Uint8Array, start: number, end: number, hash: number): void {
    const batch = this.batch;
    if (batch.buf !== buf || batch.count === BATCH) this.flush();
    batch.buf = buf;
    const b = batch.count++;
    batch.start[b] = start;
    batch.end[b] = end;
    batch.line[b] = this.lines;
    batch.hash[b] = finalize(hash);
  }

  /** A line held whole in `line` (cut by a chunk boundary, or the last one), ending at `next`. */
  whole(line: Uint8Array, next: number): void {
    const end = line.length > 0 && line[line.length - 1] === 0x0d ? line.length - 1 : line.length;
    if (end === 0) this.empty(next);
    if (this.mode === "all" || (this.mode === "some" && this.selected())) {
      this.push(line, 0, end, fnv(line, 0, end));
    }
    this.lines++;
    this.tokenBytes += end;
  }

  /** True when the current line is selected. */
  selected(): boolean {
    return this.select!.part[this.lines] === this.select!.p;
  }

  flush(): void {
    if (this.batch.count > 0) this.visit!(this.batch);
    this.batch.count = 0;
  }
}

/**
 * The whole lines of `buf` from `at` (chunk starting at absolute byte `base`): each counted and
 * checked, and visited as the pass's mode says (hashed while searching for its end, for "all").
 * Returns where the rest (a line cut by the chunk's end) starts.
 */
function scanLines(s: LineScanner, buf: Uint8Array, at: number, base: number): number {
  let start = at;
  const limit = s.limit;
  if (s.mode === "all") {
    let h = FNV_OFFSET;
    let before = FNV_OFFSET; // the hash without the last byte (a line's trailing \r)
    for (let i = at; i < buf.length; i++) {
      const b = buf[i];
      if (b !== 0x0a) {
        before = h;
        h = Math.imul(h ^ b, FNV_PRIME);
        continue;
      }
      if (s.lines >= limit) break;
      const cr = i > start && buf[i - 1] === 0x0d;
      const end = cr ? i - 1 : i;
      if (end === start) s.empty(base + i + 1);
      s.push(buf, start, end, cr ? before : h);
      s.lines++;
      s.tokenBytes += end - start;
      start = i + 1;
      h = before = FNV_OFFSET;
    }
    return start;
  }
  // Checking, or visiting some lines: a plain byte loop (faster than indexOf per line), counters
  // in locals; only selected lines are hashed, on the way.
  const some = s.mode === "some";
  const part = s.select?.part ?? new Uint8Array(0);
  const p = s.select?.p ?? 0;
  let lines = s.lines;
  let bytes = 0;
  let take = some && part[lines] === p;
  let h = FNV_OFFSET;
  let before = FNV_OFFSET;
  try {
    for (let i = at; i < buf.length; i++) {
      const b = buf[i];
      if (b !== 0x0a) {
        if (take) {
          before = h;
          h = Math.imul(h ^ b, FNV_PRIME);
        }
        continue;
      }
      if (lines >= limit) break;
      const cr = i > start && buf[i - 1] === 0x0d;
      const end = cr ? i - 1 : i;
      if (end === start) s.empty(base + i + 1);
      if (take) {
        s.lines = lines;
        s.push(buf, start, end, cr ? before : h);
        h = before = FNV_OFFSET;
      }
      lines++;
      bytes += end - start;
      start = i + 1;
      take = some && part[lines] === p;
    }
  } finally {
    s.lines = lines;
    s.tokenBytes += bytes;
  }
  return start;
}

async function readChunk(
  source: VocabSource,
  location: string,
  offset: number,
  length: number,
  into: Uint8Array,
): Promise<Uint8Array> {
  try {
    return await source.readRange(location, { offset, length }, { into });
  } catch (e) {
    if (e instanceof ObjectNotFoundError) throw missingFile(location);
    throw e;
  }
}

/** TF's message: the vocabulary file does not exist when the lookup table initialises. */
function missingFile(location: string): SettingsError {
  return new SettingsError(`${location}; No such file or directory (vocabulary file)`, {
    field: location,
  });
}

function concat(a: Uint8Array | undefined, b: Uint8Array): Uint8Array {
  if (!a) return b.slice();
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** FNV-1a over `buf[start, end)` (not finalized). */
function fnv(buf: Uint8Array, start: number, end: number): number {
  let h = FNV_OFFSET;
  for (let i = start; i < end; i++) h = Math.imul(h ^ buf[i], FNV_PRIME);
  return h;
}

/** murmur3's finalizer: spreads FNV's bits over the whole word. */
function finalize(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h | 0;
}

/** The 32-bit hash (signed) of `buf[start, end)` a {@link TokenBatch} holds (FNV-1a, finalized). */
export function hashToken(buf: Uint8Array, start: number, end: number): number {
  return finalize(fnv(buf, start, end));
}

/** A token for messages: UTF-8 decoded when valid, else hex-escaped bytes. */
export function printable(t: Uint8Array): string {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(t);
  } catch {
    return [...t].map((b) => b < 0x80 ? String.fromCharCode(b) : `\\x${b.toString(16)}`).join("");
  }
}
