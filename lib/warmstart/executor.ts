/**
 * Executes a plan: streams every output data shard, then writes the index, NEW's `.meta`, and
 * the `checkpoint` state file — in that order, so nothing half-written is ever a checkpoint.
 * Verbatim tensors travel as copy pieces (server-side copies on S3, CRC reused); everything else
 * is streamed in bounded chunks with its CRC32C computed on the way.
 *
 * @module
 */
import { crc32c, maskCrc } from "../bytes/mod.ts";
import {
  type BundleEntry,
  dataLocation,
  encodeBundleIndex,
  indexLocation,
  readCheckpointState,
  writeCheckpointState,
} from "../checkpoint/mod.ts";
import { basenameLocation, dirnameLocation, type Store, type WritePiece } from "../storage/mod.ts";
import { orderedPrefetch } from "./ordered_prefetch.ts";
import type { Plan, PlannedShard, PlannedTensor, Segment } from "./plan.ts";
import { type SegmentSources, segmentTasks, shardLocation } from "./segment_reader.ts";
import type { ProgressEvent } from "./types.ts";

/** Options of {@link executePlan}. */
export interface ExecuteOptions extends SegmentSources {
  /** Progress callback. */
  onProgress?: (event: ProgressEvent) => void;
  /** Aborts the run; nothing is published. */
  signal?: AbortSignal;
}

/** What was written. */
export interface ExecuteResult {
  /** Bytes of the data shards. */
  bytesWritten: number;
  /** Every object written. */
  locations: string[];
}

/** Writes the output checkpoint described by `plan`. */
export async function executePlan(plan: Plan, options: ExecuteOptions): Promise<ExecuteResult> {
  const { store } = options;
  const written: string[] = [];
  const entries: BundleEntry[] = [];
  const total = plan.shards.reduce(
    (n, s) => n + s.tensors.reduce((m, t) => m + t.size + paddingSize(t), 0),
    0,
  );
  const progress = { done: 0, total };
  // Replacing an earlier output: unpublish it first (index gone = not a checkpoint), so a failed
  // rerun leaves no checkpoint rather than an old index over new data.
  const index = indexLocation(plan.output);
  if (await store.stat(index)) await store.delete(index);
  try {
    for (const shard of plan.shards) {
      const location = dataLocation(plan.output, shard.shardId, plan.header.numShards);
      options.onProgress?.({
        phase: "write-data",
        message: `writing ${location}`,
        bytesDone: progress.done,
        bytesTotal: total,
      });
      written.push(location);
      const sizeHint = shard.tensors.reduce((n, t) => n + t.size + paddingSize(t), 0);
      await store.write(location, shardPieces(shard, options, entries, progress), {
        sizeHint,
        ...(options.signal ? { signal: options.signal } : {}),
      });
    }
    options.signal?.throwIfAborted();
    options.onProgress?.({ phase: "write-index", message: `writing ${index}` });
    written.push(index);
    await store.put(index, encodeBundleIndex(plan.header, [...entries, ...plan.dataless]));
    if (plan.metaLocation) {
      const meta = `${plan.output}.meta`;
      const stat = await store.stat(plan.metaLocation);
      if (stat) {
        written.push(meta);
        await store.write(
          meta,
          pieces([{ copyFrom: plan.metaLocation, offset: 0, length: stat.size }]),
        );
      }
    }
    await removeStale(store, plan.output, written);
    options.onProgress?.({ phase: "publish", message: "writing checkpoint state file" });
    await publishState(store, plan.output);
  } catch (e) {
    // Nothing half-written stays behind: remove what this run wrote (best effort).
    await Promise.allSettled(written.map((l) => store.delete(l)));
    throw e;
  }
  return { bytesWritten: total, locations: written };
}

/**
 * Files an earlier output under the same prefix had and this one does not (more data shards, a
 * `.meta`): unreferenced now, removed so they cannot be mistaken for part of it. Best effort.
 */
async function removeStale(store: Store, output: string, written: string[]): Promise<void> {
  const own = /^(data-\d{5}-of-\d{5}|meta)$/;
  const stale = (await store.list(`${output}.`)).filter((l) =>
    own.test(l.slice(output.length + 1)) && !written.includes(l)
  );
  await Promise.allSettled(stale.map((l) => store.delete(l)));
}

/**
 * Names the output in its directory's `checkpoint` file, like a TF save: it becomes the latest,
 * earlier entries stay listed (an unreadable state file is replaced, as TF would).
 */
async function publishState(store: Store, output: string): Promise<void> {
  const dir = dirnameLocation(output);
  const name = basenameLocation(output);
  const previous = await readCheckpointState(store, dir).catch(() => undefined);
  const kept = (previous?.allModelCheckpointPaths ?? []).filter((p) => p !== name && p !== output);
  await writeCheckpointState(store, dir, {
    modelCheckpointPath: name,
    allModelCheckpointPaths: [...kept, name],
    allModelCheckpointTimestamps: [],
  });
}

function paddingSize(t: PlannedTensor): number {
  return t.padding.reduce((n, s) => n + (s.kind === "range" ? s.length : 0), 0);
}

async function* pieces(list: WritePiece[]): AsyncGenerator<WritePiece> {
  yield* list;
}

function isVerbatim(t: PlannedTensor): boolean {
  return t.crc32c !== undefined && t.segments.every((s) => s.kind === "range");
}

/** A verbatim range as a copy piece (server-side on S3; pinned to its ETag by the job store). */
function copyPiece(src: SegmentSources, s: Extract<Segment, { kind: "range" }>): WritePiece {
  return { copyFrom: shardLocation(src, s.from, s.shardId), offset: s.offset, length: s.length };
}

/** The pieces of one output shard; fills `entries` with the output entries as it goes. */
async function* shardPieces(
  shard: PlannedShard,
  options: ExecuteOptions,
  entries: BundleEntry[],
  progress: { done: number; total: number },
): AsyncGenerator<WritePiece> {
  let offset = 0;
  for (const t of shard.tensors) {
    options.signal?.throwIfAborted();
    let crc: number;
    if (isVerbatim(t)) {
      for (const s of t.segments) {
        if (s.kind === "range" && s.length > 0) yield copyPiece(options, s);
      }
      crc = t.crc32c!;
    } else {
      let raw = 0;
      let produced = 0;
      const tasks = (function* () {
        for (const s of t.segments) yield* segmentTasks(options, s);
      })();
      for await (const chunk of orderedPrefetch(tasks, options.tuning.readAhead)) {
        raw = crc32c(chunk, raw);
        produced += chunk.length;
        yield chunk;
      }
      if (produced !== t.size) {
        throw new Error(`internal: tensor produced ${produced} bytes, planned ${t.size}`);
      }
      crc = maskCrc(raw);
    }
    entries.push({ ...t.entry, shardId: shard.shardId, offset, size: t.size, crc32c: crc });
    offset += t.size;
    for (const p of t.padding) {
      if (p.kind === "range" && p.length > 0) yield copyPiece(options, p);
      offset += p.kind === "range" ? p.length : 0;
    }
    progress.done += t.size + paddingSize(t);
  }
}
