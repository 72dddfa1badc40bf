/**
 * Parses one uncompressed table block (tensorflow/core/lib/io/block.cc) into its entries, with
 * TF's sanity checks: restart array in range, entries well-formed, shared prefix no longer than the
 * previous key, restart entries with shared = 0.
 *
 * @module
 */
import { CorruptCheckpointError } from "./errors.ts";

/** One key/value pair of a table. `value` is a view into the block (no copy). */
export interface TableEntry {
  key: Uint8Array;
  value: Uint8Array;
}

/** Where a block came from, for error messages. */
export interface BlockContext {
  location?: string;
  /** Offset of the block in the file. */
  offset: number;
  /** "data", "index" or "metaindex". */
  kind: string;
}

/** Decodes all entries of a block's (uncompressed) contents. */
export function parseBlock(contents: Uint8Array, ctx: BlockContext): TableEntry[] {
  const bad = (why: string, at?: number): never => {
    throw new CorruptCheckpointError(
      `Bad ${ctx.kind} block at offset ${ctx.offset} in ${ctx.location ?? "table"}: ${why}`,
      { location: ctx.location, offset: ctx.offset + (at ?? 0) },
    );
  };
  const size = contents.length;
  if (size < 4) bad(`block of ${size} bytes is shorter than its restart count`);
  const view = new DataView(contents.buffer, contents.byteOffset, contents.byteLength);
  const numRestarts = view.getUint32(size - 4, true);
  if (numRestarts > (size - 4) / 4) bad(`${numRestarts} restarts do not fit in ${size} bytes`);
  const limit = size - 4 - 4 * numRestarts;
  const restarts = new Set<number>();
  for (let i = 0; i < numRestarts; i++) {
    const r = view.getUint32(limit + 4 * i, true);
    if (r > limit) bad(`restart point ${r} past the entries (${limit} bytes)`, limit + 4 * i);
    restarts.add(r);
  }
  const entries: TableEntry[] = [];
  let pos = 0;
  let prev: Uint8Array = new Uint8Array(0);
  const varint = (): number => {
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 5; i++) {
      if (pos >= limit) bad("entry header runs past the entries", pos);
      const b = contents[pos++];
      result += (b & 0x7f) * mul;
      if (b < 0x80) return result;
      mul *= 128;
    }
    return bad("varint32 longer than 5 bytes", pos);
  };
  let seenRestarts = 0;
  while (pos < limit) {
    const start = pos;
    const shared = varint();
    const nonShared = varint();
    const valueLength = varint();
    if (shared > prev.length) {
      bad(`entry shares ${shared} bytes of a ${prev.length}-byte key`, start);
    }
    if (nonShared + valueLength > limit - pos) bad("entry runs past the entries", start);
    const isRestart = restarts.has(start);
    if (isRestart) {
      seenRestarts++;
      if (shared !== 0) bad("restart entry with a shared prefix", start);
    }
    let key: Uint8Array;
    if (shared === 0) {
      key = contents.slice(pos, pos + nonShared);
    } else {
      key = new Uint8Array(shared + nonShared);
      key.set(prev.subarray(0, shared));
      key.set(contents.subarray(pos, pos + nonShared), shared);
    }
    pos += nonShared;
    entries.push({ key, value: contents.subarray(pos, pos + valueLength) });
    pos += valueLength;
    prev = key;
  }
  // Every restart point must be an entry start (or the end, for an empty block).
  const expected = [...restarts].filter((r) => r !== limit || entries.length > 0).length;
  if (seenRestarts !== expected) bad("restart points do not point at entries", limit);
  return entries;
}
