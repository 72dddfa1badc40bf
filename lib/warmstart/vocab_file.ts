/**
 * Vocabulary files exactly as TensorFlow's TextFileLineIterator reads them: one token per line,
 * the whole line is the token (no trimming), lines split on `\n` with one trailing `\r` dropped,
 * a final line without newline counts, empty lines are errors. Tokens are compared as bytes and
 * never decoded; a vocabulary is its file bytes plus line offsets, and the old-vocabulary lookup is
 * an open-addressing hash table over those bytes — a few bytes per token, so million-token
 * vocabularies stay small next to the streaming buffers.
 *
 * @module
 */
import { SettingsError } from "./errors.ts";

/** A vocabulary: the file's bytes and where each token (line) starts and ends. */
export interface Vocabulary {
  location: string;
  /** Number of tokens read. */
  size: number;
  bytes: Uint8Array;
  starts: Uint32Array;
  ends: Uint32Array;
}

/** The bytes of token `i`. */
export function token(vocab: Vocabulary, i: number): Uint8Array {
  return vocab.bytes.subarray(vocab.starts[i], vocab.ends[i]);
}

function vocabError(message: string, location: string): SettingsError {
  return new SettingsError(message, { field: location });
}

/**
 * Splits a vocabulary file into tokens.
 *
 * @param bytes file contents
 * @param location for error messages (TF names the file)
 * @param vocabSize -1 reads every line (all must be valid); N reads the first N lines only, and
 *   fails like TF when the file has fewer than N lines
 */
export function parseVocabulary(bytes: Uint8Array, location: string, vocabSize = -1): Vocabulary {
  if (vocabSize === 0) {
    throw vocabError(
      `Invalid vocab_size in ${location}: old_vocab_size must be -1 (all lines) or positive, ` +
        "got 0 (TensorFlow fails reading such a vocabulary)",
      location,
    );
  }
  if (bytes.length === 0) {
    throw vocabError(`Invalid content in ${location}: the vocabulary file is empty.`, location);
  }
  if (bytes.length >= 2 ** 32) {
    throw vocabError(`Vocabulary file ${location} is larger than 4 GiB`, location);
  }
  // Two passes over the bytes: count the lines, then fill exactly-sized offset arrays (no
  // per-token objects, no growing arrays).
  let lines = 0;
  for (let at = 0; at < bytes.length; lines++) {
    const nl = bytes.indexOf(0x0a, at);
    at = nl < 0 ? bytes.length : nl + 1;
  }
  const size = vocabSize < 0 ? lines : Math.min(lines, vocabSize);
  const starts = new Uint32Array(size);
  const ends = new Uint32Array(size);
  let start = 0;
  for (let i = 0; i < size; i++) {
    let end = bytes.indexOf(0x0a, start);
    const next = end < 0 ? bytes.length : end + 1;
    if (end < 0) end = bytes.length;
    if (end > start && bytes[end - 1] === 0x0d) end--;
    if (end === start) {
      // TF reports the input position after the offending line.
      throw vocabError(
        `Invalid content in ${location}: empty line found at position ${next}.`,
        location,
      );
    }
    starts[i] = start;
    ends[i] = end;
    start = next;
  }
  if (vocabSize > 0 && size < vocabSize) {
    throw vocabError(
      `Invalid vocab_size in ${location}: expected ${vocabSize} but got ${size}`,
      location,
    );
  }
  return { location, size, bytes, starts, ends };
}

/** FNV-1a over bytes, as an unsigned 32-bit number. */
function hashBytes(b: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < b.length; i++) h = Math.imul(h ^ b[i], 0x01000193) >>> 0;
  return h;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Token -> line index of an old vocabulary (TF's HashTable from the old vocab file). */
export class VocabularyIndex {
  readonly #vocab: Vocabulary;
  readonly #slots: Int32Array;
  readonly #mask: number;

  /** Indexes `vocab`, failing like TF's HashTable on a repeated token. */
  constructor(vocab: Vocabulary) {
    this.#vocab = vocab;
    let capacity = 16;
    while (capacity < vocab.size * 2) capacity *= 2;
    this.#slots = new Int32Array(capacity).fill(-1);
    this.#mask = capacity - 1;
    for (let line = 0; line < vocab.size; line++) {
      const t = token(vocab, line);
      const first = this.#probe(t, (slot) => (this.#slots[slot] = line));
      if (first !== undefined) {
        throw vocabError(
          `HashTable has different value for same key. Key ${printable(t)} has ${first} ` +
            `and trying to add value ${line} (duplicate token in ${vocab.location})`,
          vocab.location,
        );
      }
    }
  }

  /** Line index of `t`, or -1. */
  lookup(t: Uint8Array): number {
    return this.#probe(t) ?? -1;
  }

  /** Finds `t`; when absent, calls `insert` with the free slot. Returns the found line. */
  #probe(t: Uint8Array, insert?: (slot: number) => void): number | undefined {
    let slot = hashBytes(t) & this.#mask;
    for (;;) {
      const line = this.#slots[slot];
      if (line < 0) {
        insert?.(slot);
        return undefined;
      }
      if (sameBytes(token(this.#vocab, line), t)) return line;
      slot = (slot + 1) & this.#mask;
    }
  }
}

/** A token for messages: UTF-8 decoded when valid, else hex-escaped bytes. */
export function printable(t: Uint8Array): string {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(t);
  } catch {
    return [...t].map((b) => b < 0x80 ? String.fromCharCode(b) : `\\x${b.toString(16)}`).join("");
  }
}

/**
 * GenerateVocabRemapping: for new-vocab lines `offset .. offset+count-1`, the old line index of
 * the same token, or -1.
 */
export function generateVocabRemapping(
  newVocab: Vocabulary,
  oldIndex: VocabularyIndex,
  offset: number,
  count: number,
): { remapping: Int32Array; numPresent: number } {
  if (offset + count > newVocab.size) {
    throw vocabError(
      `lookup table size must be larger than last new vocab entry's line: ` +
        `${newVocab.location} has ${newVocab.size} lines but rows up to ${offset + count} are ` +
        "needed (new_vocab_size is larger than the new vocabulary file)",
      newVocab.location,
    );
  }
  const remapping = new Int32Array(count);
  let numPresent = 0;
  for (let i = 0; i < count; i++) {
    const j = oldIndex.lookup(token(newVocab, offset + i));
    remapping[i] = j;
    if (j >= 0) numPresent++;
  }
  return { remapping, numPresent };
}

/**
 * LoadAndRemapMatrix rejects two new positions taking the same old id (within one kernel call,
 * i.e. one partition).
 */
export function checkNoDuplicateOldIds(remapping: Int32Array, what: string): void {
  let max = -1;
  for (const j of remapping) if (j > max) max = j;
  const seen = new Int32Array(max + 1).fill(-1); // old id -> first new id (4 bytes per id)
  for (let i = 0; i < remapping.length; i++) {
    const j = remapping[i];
    if (j < 0) continue;
    const first = seen[j];
    if (first >= 0) {
      throw new SettingsError(
        `Old ID ${j} is mapped to both new ID ${first} and ${i}, which is not supported ` +
          `(${what}: the new vocabulary repeats a token)`,
        {},
      );
    }
    seen[j] = i;
  }
}
