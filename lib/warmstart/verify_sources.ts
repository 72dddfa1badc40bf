/**
 * Every stored tensor whose bytes reach the output is checked against its stored CRC32C before
 * anything is published — like TF's own reader, which raises DataLossError on a mismatch
 * (tensorflow/core/util/tensor_bundle/tensor_bundle.cc, BundleReader::GetValue). Tensors the
 * executor already read whole (a verbatim copy streamed through it, a remap band covering a
 * whole stored slice) were checked on the way; the rest — server-side copies, partial reads of
 * remapped tables, NEW rows kept as backup — are read once more, sequentially in bounded chunks.
 *
 * @module
 */
import { Crc32cStream, unmaskCrc } from "../bytes/mod.ts";
import {
  type BundleEntry,
  type BundleIndex,
  CorruptCheckpointError,
  dataLocation,
  displayKey,
  dtypeElementSize,
  keyId,
  readTensorBytes,
  storedTensor,
} from "../checkpoint/mod.ts";
import type { Store } from "../storage/mod.ts";
import type { JobMemory } from "./job_memory.ts";
import type { Plan, Segment, Side } from "./plan.ts";

/** A stored entry of one input. */
export interface SourceEntry {
  /** OLD or NEW. */
  side: Side;
  /** The entry (a plain tensor or one slice). */
  entry: BundleEntry;
}

/** Identity of a source entry, for sets. */
export function sourceId(side: Side, entry: BundleEntry): string {
  return `${side}\u0000${keyId(entry.key)}`;
}

/** Entries of one side by shard, sorted by offset, to find which entries a byte range touches. */
function byShard(index: BundleIndex): Map<number, BundleEntry[]> {
  const out = new Map<number, BundleEntry[]>();
  for (const e of index.entries) {
    if (e.slices.length > 0 || e.size === 0) continue;
    const list = out.get(e.shardId) ?? [];
    list.push(e);
    out.set(e.shardId, list);
  }
  for (const list of out.values()) list.sort((a, b) => a.offset - b.offset);
  return out;
}

/** The entries of `list` (sorted by offset) overlapping [offset, offset + length). */
function overlapping(
  list: BundleEntry[] | undefined,
  offset: number,
  length: number,
): BundleEntry[] {
  if (!list || length === 0) return [];
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid].offset + list[mid].size <= offset) lo = mid + 1;
    else hi = mid;
  }
  const out: BundleEntry[] = [];
  for (let i = lo; i < list.length && list[i].offset < offset + length; i++) out.push(list[i]);
  return out;
}

/**
 * The stored entries whose bytes the plan copies into the output, each once.
 *
 * @param plan the plan
 * @param oldIndex OLD's index
 * @param newIndex NEW's index
 * @returns the entries, OLD and NEW
 */
export function planSources(
  plan: Plan,
  oldIndex: BundleIndex,
  newIndex: BundleIndex,
): SourceEntry[] {
  const shards = { old: byShard(oldIndex), new: byShard(newIndex) };
  const found = new Map<string, SourceEntry>();
  const add = (side: Side, entries: BundleEntry[]) => {
    for (const entry of entries) found.set(sourceId(side, entry), { side, entry });
  };
  const ofTensor = (key: string) =>
    add("old", storedTensor(oldIndex, key).pieces.map((p) => p.entry));
  const ofSegment = (s: Segment) => {
    switch (s.kind) {
      case "range":
        return add(s.from, overlapping(shards[s.from].get(s.shardId), s.offset, s.length));
      case "rows":
      case "columns": {
        ofTensor(s.oldKey);
        if (s.backup.kind === "new") {
          add("new", overlapping(shards.new.get(s.backup.shardId), s.backup.offset, 1));
        }
        return;
      }
      case "slice":
        return ofTensor(s.oldKey);
      case "fill":
        return;
    }
  };
  for (const shard of plan.shards) {
    for (const t of shard.tensors) t.segments.forEach(ofSegment);
  }
  return [...found.values()];
}

/** Options of {@link verifySources}. */
export interface VerifyOptions {
  /** Entries already checked on the way (by {@link sourceId}). */
  verified: Set<string>;
  /** Entries to leave unchecked (server-side copies when the store's checksums are trusted). */
  skip?: Set<string>;
  /** Bytes per read (default 4 MiB). */
  chunkBytes?: number;
  /**
   * The job memory the read buffers are taken from and given back to (the bucket pass reuses
   * them; a buffer of its own would stay resident until the collector frees it).
   */
  memory?: JobMemory;
  /** Entries checked at once (default 4). */
  concurrency?: number;
  /** Aborts the reads. */
  signal?: AbortSignal;
}

/**
 * Reads every entry of `sources` not yet verified and checks its CRC32C.
 *
 * @param store the job's store
 * @param indexes OLD's and NEW's index
 * @param sources the entries the output is made of
 * @param options what is already verified, chunking, concurrency
 * @returns the number of bytes read to verify
 * @throws CorruptCheckpointError on the first mismatch
 */
export async function verifySources(
  store: Store,
  indexes: Record<Side, BundleIndex>,
  sources: SourceEntry[],
  options: VerifyOptions,
): Promise<number> {
  const chunk = options.chunkBytes ?? 4 * 1024 * 1024;
  const todo = sources.filter((s) => {
    const id = sourceId(s.side, s.entry);
    return !options.verified.has(id) && !options.skip?.has(id);
  });
  let bytes = 0;
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (next < todo.length && !failed) {
      options.signal?.throwIfAborted();
      const { side, entry } = todo[next++];
      const index = indexes[side];
      if (dtypeElementSize(entry.dtype) === undefined) {
        // Strings and variants: their stored checksum covers lengths and bytes together.
        await readTensorBytes(store, index, entry);
      } else {
        await checkFixedWidth(store, index, entry, chunk, options);
      }
      bytes += entry.size;
      options.verified.add(sourceId(side, entry));
    }
  };
  // The first failure stops the other workers; they settle (and give their buffers back) first.
  const results = await Promise.allSettled(
    Array.from({ length: options.concurrency ?? 4 }, () =>
      worker().catch((e) => {
        failed = true;
        throw e;
      })),
  );
  const failure = results.find((r) => r.status === "rejected");
  if (failure) throw failure.reason;
  return bytes;
}

async function checkFixedWidth(
  store: Store,
  index: BundleIndex,
  entry: BundleEntry,
  chunk: number,
  options: Pick<VerifyOptions, "memory" | "signal">,
): Promise<void> {
  const { memory, signal } = options;
  const location = dataLocation(index.prefix, entry.shardId, index.header.numShards);
  // The CRC on the second core where there is one (bytes/crc32c_stream.ts).
  const crcs = new Crc32cStream();
  const size = Math.min(chunk, entry.size);
  const into = memory?.take(size) ?? new Uint8Array(size); // one buffer, reused
  let crc: number;
  try {
    for (let done = 0; done < entry.size; done += chunk) {
      signal?.throwIfAborted();
      const length = Math.min(chunk, entry.size - done);
      const range = { offset: entry.offset + done, length };
      await crcs.add(
        await store.readRange(location, range, { ...(signal ? { signal } : {}), into }),
      );
    }
    crc = await crcs.value();
  } finally {
    crcs.close();
    memory?.give(into);
  }
  const expected = unmaskCrc(entry.crc32c);
  if (crc !== expected) throw checksumMismatch(entry, location, expected, crc);
}

/** TF's DataLossError for a tensor whose bytes do not match its stored checksum. */
export function checksumMismatch(
  entry: BundleEntry,
  location: string,
  expected: number,
  actual: number,
): CorruptCheckpointError {
  const hex = (n: number) => `0x${(n >>> 0).toString(16).padStart(8, "0")}`;
  const key = displayKey(entry.key);
  return new CorruptCheckpointError(
    `Checksum does not match for ${key} in ${location} at offset ${entry.offset} ` +
      `(${entry.size} bytes): stored ${hex(expected)}, computed ${hex(actual)}. The checkpoint ` +
      "is corrupt (TF raises DataLossError); nothing was published",
    { location, key, offset: entry.offset, expected: hex(expected), actual: hex(actual) },
  );
}
