/**
 * Executes a plan's data: streams every output data shard as a staged (invisible) upload. Verbatim
 * tensors travel as copy pieces when the store copies them server-side (S3), else they are
 * streamed through here and their CRC32C is checked against the stored one on the way;
 * everything else is streamed in bounded chunks with its CRC32C computed. Publishing — making the
 * staged shards visible, then the index, `.meta`, state file and marker — is commit.ts's.
 *
 * @module
 */
import { Crc32cStream, holdCrcWorker, maskCrc, unmaskCrc } from "../bytes/mod.ts";
import { type BundleEntry, dataLocation, dtypeElementSize, payloadCrc } from "../checkpoint/mod.ts";
import { type PartResult, settleEach, type Upload, type WritePiece } from "../storage/mod.ts";
import { isVerbatim, verbatimSourceId } from "./layout.ts";
import { orderedPrefetch } from "./ordered_prefetch.ts";
import type { Plan, PlannedShard, PlannedTensor, Segment } from "./plan.ts";
import { type SegmentSources, segmentTasks, shardLocation } from "./segment_reader.ts";
import type { ProgressEvent } from "./types.ts";
import { checksumMismatch } from "./verify_sources.ts";

/** Options of {@link stagePlan}. */
export interface ExecuteOptions extends SegmentSources {
  /** Progress callback. */
  onProgress?: (event: ProgressEvent) => void;
  /** Aborts the run; nothing is published. */
  signal?: AbortSignal;
}

/** One staged data shard: written, not yet visible. */
export interface StagedShard {
  /** Its location. */
  location: string;
  /** Its size. */
  size: number;
  /** The open upload and its parts (undefined only when staging failed half-way). */
  upload: Upload;
  /** The parts to complete it with. */
  parts: PartResult[];
}

/** What staging produced. */
export interface StagedData {
  /** The staged shards, by shard id. */
  shards: StagedShard[];
  /** Output entries of every tensor with data (offsets, sizes, CRCs). */
  entries: BundleEntry[];
  /** Bytes of the data shards. */
  bytesWritten: number;
}

/** Total output bytes of a plan (tensors and padding). */
export function planBytes(plan: Plan): number {
  return plan.shards.reduce((n, s) => n + shardBytes(s), 0);
}

function shardBytes(shard: PlannedShard): number {
  return shard.tensors.reduce((m, t) => m + t.size + paddingSize(t), 0);
}

/**
 * Writes every data shard of `plan` as a staged upload (see module docs). On failure, every
 * upload this call started is aborted: nothing becomes visible.
 *
 * @param plan the plan
 * @param options sources, tuning, the set of source entries verified on the way, progress
 * @returns the staged shards and the output entries
 */
export async function stagePlan(plan: Plan, options: ExecuteOptions): Promise<StagedData> {
  const { store } = options;
  const entries: BundleEntry[] = [];
  const total = planBytes(plan);
  const progress = bytesProgress(total, options.onProgress);
  const shards: StagedShard[] = [];
  // One CRC worker for all the plan's tensors, instead of one started per tensor.
  const releaseCrcWorker = holdCrcWorker();
  try {
    for (const shard of plan.shards) {
      const location = dataLocation(plan.output, shard.shardId, plan.header.numShards);
      progress.shard(location);
      const w = await store.write(
        location,
        shardPieces(shard, location, options, entries, progress),
        {
          sizeHint: shardBytes(shard),
          defer: true,
          ...(options.signal ? { signal: options.signal } : {}),
        },
      );
      shards.push({ location, size: w.size, upload: w.staged!.upload, parts: w.staged!.parts });
    }
    progress.flush();
  } catch (e) {
    await settleEach(shards, (s) => store.abortUpload(s.upload));
    throw e;
  } finally {
    releaseCrcWorker();
  }
  return { shards, entries, bytesWritten: total };
}

/** Most often a `write-data` event with byte counts is emitted (ms): a bar stays live, logs calm. */
const PROGRESS_INTERVAL_MS = 250;

/** Bytes of the data shards written so far, and the one place `write-data` events come from. */
interface BytesProgress {
  /** Bytes done. */
  done: number;
  /** A shard starts: always reported. */
  shard(location: string): void;
  /** `n` more bytes went out: reported at most every {@link PROGRESS_INTERVAL_MS}. */
  advance(n: number): void;
  /** Reports the final count. */
  flush(): void;
}

function bytesProgress(
  total: number,
  onProgress: ((e: ProgressEvent) => void) | undefined,
): BytesProgress {
  let last = 0;
  let location = "";
  const emit = () => {
    last = performance.now();
    onProgress?.({
      phase: "write-data",
      message: `writing ${location}`,
      bytesDone: state.done,
      bytesTotal: total,
    });
  };
  const state: BytesProgress = {
    done: 0,
    shard(l) {
      location = l;
      emit();
    },
    advance(n) {
      state.done += n;
      if (performance.now() - last >= PROGRESS_INTERVAL_MS) emit();
    },
    flush: emit,
  };
  return state;
}

function concat(chunks: Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

function paddingSize(t: PlannedTensor): number {
  return t.padding.reduce((n, s) => n + (s.kind === "range" ? s.length : 0), 0);
}

/** A verbatim range as a copy piece (pinned to its source's ETag by the job store). */
function copyPiece(src: SegmentSources, s: Extract<Segment, { kind: "range" }>): WritePiece {
  return { copyFrom: shardLocation(src, s.from, s.shardId), offset: s.offset, length: s.length };
}

/** The pieces of one output shard; fills `entries` with the output entries as it goes. */
async function* shardPieces(
  shard: PlannedShard,
  target: string,
  options: ExecuteOptions,
  entries: BundleEntry[],
  progress: BytesProgress,
): AsyncGenerator<WritePiece> {
  let offset = 0;
  for (const t of shard.tensors) {
    options.signal?.throwIfAborted();
    let crc: number;
    const serverSide = isVerbatim(t) &&
      t.segments.every((s) =>
        s.kind === "range" &&
        options.store.copiesServerSide(shardLocation(options, s.from, s.shardId), target)
      );
    if (serverSide) {
      for (const s of t.segments) {
        if (s.kind === "range" && s.length > 0) {
          yield copyPiece(options, s);
          progress.advance(s.length);
        }
      }
      crc = t.crc32c!;
    } else {
      let raw = 0;
      let produced = 0;
      // TF checksums string and variant tensors by their elements, not their bytes
      // (checkpoint/payload_crc.ts): a verbatim one is checked whole (they are small: object
      // graphs, vocabularies kept as tensors).
      const whole: Uint8Array[] | undefined =
        isVerbatim(t) && dtypeElementSize(t.entry.dtype) === undefined ? [] : undefined;
      const tasks = (function* () {
        for (const s of t.segments) yield* segmentTasks(options, s);
      })();
      // The chunks' CRCs on the second core where there is one (bytes/crc32c_stream.ts).
      const crcs = new Crc32cStream();
      try {
        for await (const chunk of orderedPrefetch(tasks, options.tuning.readAhead)) {
          if (whole) whole.push(chunk.slice());
          else await crcs.add(chunk);
          produced += chunk.length;
          yield chunk;
          progress.advance(chunk.length);
        }
        raw = await crcs.value();
      } finally {
        crcs.close();
      }
      if (produced !== t.size) {
        throw new Error(`internal: tensor produced ${produced} bytes, planned ${t.size}`);
      }
      if (whole) raw = payloadCrc(t.entry, concat(whole, produced));
      if (isVerbatim(t)) {
        // A verbatim copy streamed through here: its bytes must have the stored checksum.
        if (raw !== unmaskCrc(t.crc32c!)) {
          const [s] = t.segments as Array<Extract<Segment, { kind: "range" }>>;
          throw checksumMismatch(
            { ...t.entry, offset: s.offset, size: t.size, crc32c: t.crc32c! },
            shardLocation(options, s.from, s.shardId),
            unmaskCrc(t.crc32c!),
            raw,
          );
        }
        const id = verbatimSourceId(t, options);
        if (id) options.verified.add(id);
        crc = t.crc32c!;
      } else {
        crc = maskCrc(raw);
      }
    }
    entries.push({ ...t.entry, shardId: shard.shardId, offset, size: t.size, crc32c: crc });
    offset += t.size;
    for (const p of t.padding) {
      if (p.kind !== "range" || p.length === 0) continue;
      if (options.store.copiesServerSide(shardLocation(options, p.from, p.shardId), target)) {
        yield copyPiece(options, p);
      } else {
        for await (
          const chunk of orderedPrefetch(segmentTasks(options, p), options.tuning.readAhead)
        ) {
          yield chunk;
        }
      }
      progress.advance(p.length);
      offset += p.length;
    }
  }
}
