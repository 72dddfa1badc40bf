/**
 * Picks how the OLD rows of every vocabulary remap are read — the cheapest of three strategies
 * (plan.ts {@link RowsStrategy}) by a cost model in bytes, a request weighing
 * `requestCostBytes`: coalesced runs per chunk (cost estimated from a sample of the plan's own
 * chunks), one sequential pass keeping the rows in memory (when they fit half the budget), or the
 * external distribution pass (OLD read once, the needed rows written and read once more).
 * Segments of one OLD tensor share one pass. Pure: plan data in, plan data out.
 *
 * @module
 */
import type { BundleIndex } from "../checkpoint/mod.ts";
import type { PlannedShard, RemapPass, Segment } from "./plan.ts";
import { BAND_CHUNKS } from "./chunk_buffers.ts";
import type { Tuning } from "./tuning.ts";

type RowsSegment = Extract<Segment, { kind: "rows" }>;

/** Chunks whose cost is computed exactly; the rest are extrapolated from them. */
const SAMPLED_CHUNKS = 64;
/** The largest window read. */
const MAX_WINDOW_BYTES = 16 * 1024 * 1024;
/** Bookkeeping bytes per output row of a loaded bucket (source window and position). */
const BYTES_PER_BUCKET_ROW = 8;

/**
 * Sets the strategy of every `rows` segment of `shards` and returns the remap passes of those
 * read in passes.
 *
 * @param shards the planned shards (their rows segments are updated)
 * @param oldIndex OLD's index (the rows' tensors)
 * @param tuning the budget and the cost of a request
 * @returns the passes, numbered in plan order
 */
export function planRemapPasses(
  shards: PlannedShard[],
  oldIndex: BundleIndex,
  tuning: Tuning,
): RemapPass[] {
  const groups = new Map<string, RowsSegment[]>();
  for (const shard of shards) {
    for (const t of shard.tensors) {
      for (const s of t.segments) {
        if (s.kind !== "rows") continue;
        s.strategy = "runs";
        delete s.pass;
        if (!s.rowMap.some((j) => j >= 0)) continue; // backup rows only: nothing to read
        const group = groups.get(s.oldKey) ?? [];
        group.push(s);
        groups.set(s.oldKey, group);
      }
    }
  }
  const passes: RemapPass[] = [];
  for (const [oldKey, members] of groups) {
    const pass = choose(oldKey, members, oldIndex, tuning, passes.length);
    if (!pass) continue;
    passes.push(pass);
    members.forEach((s, member) => {
      s.strategy = pass.strategy;
      s.pass = { id: pass.id, member };
    });
  }
  return passes;
}

/** The pass for the segments of one OLD tensor, or undefined when runs are cheapest. */
function choose(
  oldKey: string,
  members: RowsSegment[],
  oldIndex: BundleIndex,
  tuning: Tuning,
  id: number,
): RemapPass | undefined {
  const rowBytes = members[0].rowBytes;
  let oldStart = Infinity;
  let oldEnd = 0;
  let needed = 0;
  for (const s of members) {
    for (const j of s.rowMap) {
      if (j < 0) continue;
      needed++;
      if (j < oldStart) oldStart = j;
      if (j + 1 > oldEnd) oldEnd = j + 1;
    }
  }
  const c = tuning.requestCostBytes;
  const budget = tuning.memoryBytes;
  // A window is one read of at most 16 MiB (range reads' largest request: never split, so never
  // copied); the window pass holds two windows, three spills and a row order of an eighth of
  // the budget (remap_passes.ts).
  const windowRows = Math.max(
    1,
    Math.floor(Math.min((budget * 7) / 8 / 5, MAX_WINDOW_BYTES) / rowBytes),
  );
  const windows = Math.ceil((oldEnd - oldStart) / windowRows);
  const bucketRows = Math.max(1, Math.floor(budget / 2 / (rowBytes + BYTES_PER_BUCKET_ROW)));
  const buckets = members.reduce((n, s) => n + Math.ceil(s.rowMap.length / bucketRows), 0);
  const span = (oldEnd - oldStart) * rowBytes;
  const neededBytes = needed * rowBytes;
  // A window is one read (more for a table stored in slices: one per slice it crosses).
  const pieces = Math.max(1, oldIndex.get(oldKey)?.slices.length ?? 1);
  const scan = span + windows * pieces * c;
  const estimates = {
    runs: runsCost(members, rowBytes, tuning),
    ...(neededBytes <= budget / 2 ? { memory: scan } : {}),
    // + the spill: written once (a request per window), read once (a request per section).
    buckets: scan + 2 * neededBytes + (windows + windows * buckets) * c,
  };
  let best: "runs" | "memory" | "buckets" = estimates.memory !== undefined &&
      estimates.memory <= estimates.buckets
    ? "memory"
    : "buckets";
  if (estimates.runs <= estimates[best]!) best = "runs";
  best = tuning.strategy ?? best;
  if (best === "runs") return undefined;
  return {
    id,
    strategy: best,
    oldKey,
    rowBytes,
    oldStart,
    oldEnd,
    windowRows,
    members: members.map((s) => s.rowMap),
    bucketRows,
    neededRows: needed,
    estimates,
  };
}

/**
 * What reading the members' rows per chunk as coalesced runs costs: per chunk, the wanted rows
 * sorted into runs, gaps bridged smallest first while each is at most a request's worth and all
 * stay within `maxRowWaste` × the useful bytes (the rules of storage/coalesce.ts).
 */
function runsCost(members: RowsSegment[], rowBytes: number, tuning: Tuning): number {
  const batch = Math.max(1, Math.floor(tuning.chunkBytes / rowBytes));
  const total = members.reduce((n, s) => n + Math.ceil(s.rowMap.length / batch), 0);
  const step = Math.max(1, Math.floor(total / SAMPLED_CHUNKS));
  let cost = 0;
  let sampled = 0;
  let t = 0;
  for (const s of members) {
    for (let i0 = 0; i0 < s.rowMap.length; i0 += batch, t++) {
      if (t % step !== 0) continue;
      cost += chunkCost(
        s.rowMap.subarray(i0, Math.min(s.rowMap.length, i0 + batch)),
        rowBytes,
        tuning,
      );
      sampled++;
    }
  }
  return sampled === 0 ? 0 : (cost * total) / sampled;
}

function chunkCost(rowMap: Int32Array, rowBytes: number, tuning: Tuning): number {
  const wanted = rowMap.filter((j) => j >= 0).sort();
  if (wanted.length === 0) return 0;
  // Near rows are one band (segment_reader.ts): one request, the span's bytes.
  const span = wanted[wanted.length - 1] - wanted[0] + 1;
  if (
    span <= (1 + tuning.maxRowWaste) * wanted.length &&
    span * rowBytes <= BAND_CHUNKS * tuning.chunkBytes
  ) {
    return span * rowBytes + tuning.requestCostBytes;
  }
  const gaps: number[] = [];
  let rows = 1;
  for (let k = 1; k < wanted.length; k++) {
    const d = wanted[k] - wanted[k - 1];
    if (d === 0) continue; // a repeat
    rows++;
    if (d > 1) gaps.push((d - 1) * rowBytes);
  }
  const useful = rows * rowBytes;
  let budget = tuning.maxRowWaste * useful;
  let bytes = useful;
  let requests = gaps.length + 1;
  for (const g of gaps.sort((a, b) => a - b)) {
    if (g > tuning.requestCostBytes || g > budget) break;
    budget -= g;
    bytes += g;
    requests--;
  }
  return bytes + requests * tuning.requestCostBytes;
}
