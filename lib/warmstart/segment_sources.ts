/**
 * Where plan segments read their bytes: the two input checkpoints through the job's store, with
 * every read pinned to the ETag the data shard had when the job started.
 *
 * @module
 */
import type { BundleIndex } from "../checkpoint/bundle_index.ts";
import { dataLocation } from "../checkpoint/naming.ts";
import type { Limiter } from "../storage/limiter.ts";
import type { ReadOptions, Store } from "../storage/store.ts";
import type { Side } from "./plan.ts";

/** Where segment bytes are read from, and the streaming budget. */
export interface SegmentSources {
  store: Store;
  oldIndex: BundleIndex;
  newIndex: BundleIndex;
  /** Target size of one chunk. */
  chunkBytes: number;
  /** Largest gap (bytes) between needed OLD rows that is read through rather than split. */
  rowGapBytes: number;
  /**
   * A vocabulary remap whose needed OLD rows span at most this many bytes reads them once and
   * serves every chunk from memory (TF's kernel does the same); larger ones read per chunk.
   */
  rowCacheBytes: number;
  /** ETag each data shard had when the job started (pins every read). */
  etags?: Map<string, string>;
  /** Bounds the job's concurrent range reads (requests in flight, open files). */
  readLimiter: Limiter;
}

/** Data-shard location of one side. */
export function shardLocation(src: SegmentSources, side: Side, shardId: number): string {
  const index = side === "old" ? src.oldIndex : src.newIndex;
  return dataLocation(index.prefix, shardId, index.header.numShards);
}

function readOptions(src: SegmentSources, location: string): ReadOptions {
  const etag = src.etags?.get(location);
  return etag ? { ifMatch: etag } : {};
}

/** Reads bytes of one side's shard. */
export function readShard(
  src: SegmentSources,
  side: Side,
  shardId: number,
  offset: number,
  length: number,
): Promise<Uint8Array> {
  if (length === 0) return Promise.resolve(new Uint8Array(0));
  const location = shardLocation(src, side, shardId);
  return src.readLimiter.run(() =>
    src.store.readRange(location, { offset, length }, readOptions(src, location))
  );
}
