/**
 * Vocabulary files exactly as TensorFlow's TextFileLineIterator reads them: one token per line,
 * the whole line is the token (no trimming), lines split on `\n` with one trailing `\r` dropped,
 * a final line without newline counts, empty lines are errors. Tokens are compared as bytes: they
 * are kept as "binary strings" (one char per byte), never decoded.
 *
 * @module
 */
import { SettingsError } from "../errors.ts";

/** A vocabulary: its tokens in line order (binary strings) and where it came from. */
export interface Vocabulary {
  location: string;
  /** Token of line i (0-based), one char per byte. */
  tokens: string[];
}

function vocabError(message: string, location: string): SettingsError {
  return new SettingsError(message, { field: location, kind: "warm_start" });
}

/** Bytes to a binary string without decoding (byte b -> char code b). */
export function toBinaryString(bytes: Uint8Array): string {
  let s = "";
  const CHUNK = 8192;
  for (let i = 0; i < bytes.length; i += CHUNK) {
    s += String.fromCharCode(...bytes.subarray(i, i + CHUNK));
  }
  return s;
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
  const tokens: string[] = [];
  let start = 0;
  while (start < bytes.length && (vocabSize < 0 || tokens.length < vocabSize)) {
    let end = bytes.indexOf(0x0a, start);
    const next = end < 0 ? bytes.length : end + 1;
    if (end < 0) end = bytes.length;
    let lineEnd = end;
    if (lineEnd > start && bytes[lineEnd - 1] === 0x0d) lineEnd--;
    if (lineEnd === start) {
      // TF reports the input position after the offending line.
      throw vocabError(
        `Invalid content in ${location}: empty line found at position ${next}.`,
        location,
      );
    }
    tokens.push(toBinaryString(bytes.subarray(start, lineEnd)));
    start = next;
  }
  if (vocabSize > 0 && tokens.length < vocabSize) {
    throw vocabError(
      `Invalid vocab_size in ${location}: expected ${vocabSize} but got ${tokens.length}`,
      location,
    );
  }
  return { location, tokens };
}

/**
 * Token -> line index of an old vocabulary, failing like TF's HashTable on a repeated token.
 */
export function indexVocabulary(vocab: Vocabulary): Map<string, number> {
  const index = new Map<string, number>();
  vocab.tokens.forEach((token, line) => {
    const first = index.get(token);
    if (first !== undefined) {
      throw vocabError(
        `HashTable has different value for same key. Key ${printable(token)} has ${first} ` +
          `and trying to add value ${line} (duplicate token in ${vocab.location})`,
        vocab.location,
      );
    }
    index.set(token, line);
  });
  return index;
}

/** A token for messages: UTF-8 decoded when valid, else hex-escaped bytes. */
export function printable(token: string): string {
  const bytes = Uint8Array.from(token, (c) => c.charCodeAt(0));
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return [...bytes].map((b) => b < 0x80 ? String.fromCharCode(b) : `\\x${b.toString(16)}`)
      .join("");
  }
}

/**
 * GenerateVocabRemapping: for new-vocab lines `offset .. offset+count-1`, the old line index of
 * the same token, or -1.
 */
export function generateVocabRemapping(
  newVocab: Vocabulary,
  oldIndex: Map<string, number>,
  offset: number,
  count: number,
): { remapping: Int32Array; numPresent: number } {
  if (offset + count > newVocab.tokens.length) {
    throw vocabError(
      `lookup table size must be larger than last new vocab entry's line: ` +
        `${newVocab.location} has ${newVocab.tokens.length} lines but rows up to ` +
        `${offset + count} are needed (new_vocab_size is larger than the new vocabulary file)`,
      newVocab.location,
    );
  }
  const remapping = new Int32Array(count);
  let numPresent = 0;
  for (let i = 0; i < count; i++) {
    const j = oldIndex.get(newVocab.tokens[offset + i]) ?? -1;
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
  const seen = new Map<number, number>();
  for (let i = 0; i < remapping.length; i++) {
    const j = remapping[i];
    if (j < 0) continue;
    const first = seen.get(j);
    if (first !== undefined) {
      throw new SettingsError(
        `Old ID ${j} is mapped to both new ID ${first} and ${i}, which is not supported ` +
          `(${what}: the new vocabulary repeats a token)`,
        { kind: "warm_start" },
      );
    }
    seen.set(j, i);
  }
}
