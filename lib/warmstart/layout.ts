/**
 * The layout of a plan's output: for every data shard, where each tensor and each run of
 * padding starts, and which runs are verbatim ranges the store copies server-side into the
 * shard (the same choice the one-process executor makes: executor.ts). Pure: no bytes move.
 *
 * @module
 */
import { type BundleIndex, dataLocation } from "../checkpoint/mod.ts";
import type { CopyPiece, Store } from "../storage/mod.ts";
import { type PlannedShard, type PlannedTensor, type Segment, segmentLength } from "./plan.ts";
import type { Plan } from "./plan.ts";
import { sourceId } from "./verify_sources.ts";

/** One run of output bytes: a segment (or padding segment) of one tensor. */
export interface LayoutItem {
  /** First byte in the shard. */
  offset: number;
  /** Bytes. */
  length: number;
  /** Index of its tensor in the shard's tensors. */
  tensor: number;
  /** The segment. */
  segment: Segment;
  /** True for alignment padding after the tensor's data. */
  padding: boolean;
  /** Set when the run is a verbatim range copied server-side (a copy piece's source). */
  copy?: CopyPiece;
}

/** The layout of one output data shard. */
export interface ShardLayout {
  /** Index of the shard in {@link Plan.shards}. */
  index: number;
  /** Its location. */
  location: string;
  /** Its size in bytes. */
  size: number;
  /** First byte of each tensor's data (padding follows it). */
  tensorOffsets: number[];
  /** Whether each tensor is copied server-side (its CRC32C is the stored one). */
  serverSide: boolean[];
  /** Its runs, in byte order, without empty ones. */
  items: LayoutItem[];
}

/** OLD's and NEW's indexes, where the plan's ranges are read from. */
export interface LayoutSources {
  oldIndex: BundleIndex;
  newIndex: BundleIndex;
}

function sourceLocation(src: LayoutSources, s: Extract<Segment, { kind: "range" }>): string {
  const index = s.from === "old" ? src.oldIndex : src.newIndex;
  return dataLocation(index.prefix, s.shardId, index.header.numShards);
}

/** True when every byte of `t` is a stored range and its CRC32C is known (executor.ts). */
export function isVerbatim(t: PlannedTensor): boolean {
  return t.crc32c !== undefined && t.segments.every((s) => s.kind === "range");
}

/**
 * The source entry a verbatim tensor is an exact copy of, when it is one stored entry (its
 * verify_sources.ts id): what checking the tensor's bytes checks.
 */
export function verbatimSourceId(t: PlannedTensor, src: LayoutSources): string | undefined {
  const [s] = t.segments;
  if (!isVerbatim(t) || t.segments.length !== 1 || s.kind !== "range") return undefined;
  const index = s.from === "old" ? src.oldIndex : src.newIndex;
  const entry = index.entries.find((e) =>
    e.slices.length === 0 && e.shardId === s.shardId && e.offset === s.offset && e.size === s.length
  );
  return entry ? sourceId(s.from, entry) : undefined;
}

/**
 * The layout of every output data shard of `plan`.
 *
 * @param plan the plan
 * @param src the input indexes
 * @param store answers which ranges it copies server-side
 * @returns one layout per shard, in plan order
 */
export function planLayout(
  plan: Plan,
  src: LayoutSources,
  store: Pick<Store, "copiesServerSide">,
): ShardLayout[] {
  return plan.shards.map((shard, index) => shardLayout(plan, shard, index, src, store));
}

function shardLayout(
  plan: Plan,
  shard: PlannedShard,
  index: number,
  src: LayoutSources,
  store: Pick<Store, "copiesServerSide">,
): ShardLayout {
  const location = dataLocation(plan.output, shard.shardId, plan.header.numShards);
  const items: LayoutItem[] = [];
  const tensorOffsets: number[] = [];
  const serverSideOf: boolean[] = [];
  let at = 0;
  const add = (tensor: number, segment: Segment, copies: boolean, padding: boolean) => {
    const length = segmentLength(segment);
    if (length === 0) return;
    const copy = copies && segment.kind === "range"
      ? { copyFrom: sourceLocation(src, segment), offset: segment.offset, length }
      : undefined;
    items.push({ offset: at, length, tensor, segment, padding, ...(copy ? { copy } : {}) });
    at += length;
  };
  shard.tensors.forEach((t, ti) => {
    tensorOffsets.push(at);
    const serverSide = isVerbatim(t) &&
      t.segments.every((s) =>
        s.kind === "range" && store.copiesServerSide(sourceLocation(src, s), location)
      );
    serverSideOf.push(serverSide);
    for (const s of t.segments) add(ti, s, serverSide, false);
    for (const p of t.padding) {
      if (p.kind !== "range") continue;
      add(ti, p, store.copiesServerSide(sourceLocation(src, p), location), true);
    }
  });
  return { index, location, size: at, tensorOffsets, serverSide: serverSideOf, items };
}
