/**
 * The PLAN: pure data saying, for every byte of the output checkpoint, where it comes from. The
 * planner (planner.ts) builds it without moving tensor bytes; the executor (executor.ts) streams
 * it; a dry run reports it.
 *
 * @module
 */
import type { BundleEntry, BundleHeader } from "../checkpoint/mod.ts";
import type { VariableReport } from "./types.ts";

/** Which input checkpoint a byte range is read from. */
export type Side = "new" | "old";

/** How missing rows / cells are filled. */
export type Backup =
  /** A repeated element (zeros or an encoded constant). */
  | { kind: "fill"; element: Uint8Array }
  /** NEW's own freshly initialised values: the part's row-major bytes start here. */
  | { kind: "new"; shardId: number; offset: number };

/** A run of output bytes. */
export type Segment =
  /** Bytes copied from a data shard of NEW or OLD. */
  | { kind: "range"; from: Side; shardId: number; offset: number; length: number }
  /** `count` repetitions of `element`. */
  | { kind: "fill"; element: Uint8Array; count: number }
  /**
   * Output row i = row `rowMap[i]` of OLD tensor `oldKey` (axis-0 vocab remap), or, when
   * rowMap[i] < 0, backup row `backupRowStart + i`. The planner picks how the OLD rows are read
   * (`strategy`); `pass` names the remap pass that serves a "memory" or "buckets" segment.
   */
  | {
    kind: "rows";
    oldKey: string;
    rowBytes: number;
    rowMap: Int32Array;
    backup: Backup;
    backupRowStart: number;
    strategy: RowsStrategy;
    pass?: { id: number; member: number };
  }
  /**
   * Output cell (i, k) of a `rows` x `cols` block = OLD[oldRowStart + i, colMap[k]] (axis-1
   * vocab remap) when k < colMap.length and colMap[k] >= 0; otherwise backup cell (i, k).
   */
  | {
    kind: "columns";
    oldKey: string;
    oldRowStart: number;
    oldCols: number;
    rows: number;
    cols: number;
    elementSize: number;
    colMap: Int32Array;
    backup: Backup;
  }
  /**
   * The block `offset`/`shape` of OLD tensor `oldKey` (a partition of a NEW variable that is not
   * whole rows of OLD's stored slices), read through the checkpoint's slice path in bands.
   */
  | {
    kind: "slice";
    oldKey: string;
    offset: number[];
    shape: number[];
    elementSize: number;
  };

/**
 * How the OLD rows of a `rows` segment are read (remap_strategy.ts picks the cheapest):
 * - `runs`: per output chunk, its rows as coalesced runs within the waste budget (a locally
 *   ordered vocabulary, or few rows);
 * - `memory`: one sequential pass over OLD in windows keeps every needed row (they fit the
 *   budget), then each chunk is gathered from memory;
 * - `buckets`: the external distribution pass — OLD read sequentially in windows, each window's
 *   rows spilled to temporary storage grouped by the output range (bucket) that needs them, then
 *   each bucket read back and emitted in order. Linear in the table however shuffled.
 */
export type RowsStrategy = "runs" | "memory" | "buckets";

/**
 * A remap pass: the `memory` or `buckets` reading of every `rows` segment of one OLD tensor (its
 * members, in plan order), so the table is read once however many NEW partitions need it. A
 * window pass (map) and a bucket pass (reduce) are pure functions of this and the pinned inputs.
 */
export interface RemapPass {
  /** Index in {@link Plan.remapPasses}; names the pass's spill. */
  id: number;
  strategy: "memory" | "buckets";
  /** The OLD tensor. */
  oldKey: string;
  /** Bytes per row. */
  rowBytes: number;
  /** OLD rows [oldStart, oldEnd) hold every needed row; read in windows of `windowRows` rows. */
  oldStart: number;
  oldEnd: number;
  windowRows: number;
  /** The row maps of the segments served, in plan order. */
  members: Int32Array[];
  /**
   * Output rows per bucket: bucket k of a member is its rows [k × bucketRows, (k+1) × bucketRows)
   * (a `memory` pass keeps its spill in memory; its buckets only bound the per-row bookkeeping).
   */
  bucketRows: number;
  /** Rows (of all members) read from OLD. */
  neededRows: number;
  /** Cost estimates behind the choice, in bytes (requests weighed by `requestCostBytes`). */
  estimates: { runs: number; memory?: number; buckets: number };
}

/** One output tensor (a variable, a partition of one, or any other stored tensor). */
export interface PlannedTensor {
  /** NEW's entry: key, dtype, shape, shard and slice geometry are kept. */
  entry: BundleEntry;
  segments: Segment[];
  /** Output size in bytes (sum of the segments). */
  size: number;
  /** Masked CRC32C known in advance (verbatim copy of a stored tensor); else computed. */
  crc32c?: number;
  /** Bytes after the tensor copied from NEW unchanged (alignment padding). */
  padding: Segment[];
}

/** One output data shard: tensors in NEW's order of offsets. */
export interface PlannedShard {
  shardId: number;
  tensors: PlannedTensor[];
}

/** The whole plan of a job. */
export interface Plan {
  oldPrefix: string;
  newPrefix: string;
  output: string;
  /** NEW's header (shard count, version) — the output keeps it. */
  header: BundleHeader;
  shards: PlannedShard[];
  /** Entries without data of their own (full entries of partitioned tensors), unchanged. */
  dataless: BundleEntry[];
  /** The remap passes of `memory` and `buckets` rows segments. */
  remapPasses: RemapPass[];
  /** NEW's `.meta`, carried over when present. */
  metaLocation?: string;
  variables: VariableReport[];
}

/** Bytes a segment contributes to the output. */
export function segmentLength(s: Segment): number {
  switch (s.kind) {
    case "range":
      return s.length;
    case "fill":
      return s.element.length * s.count;
    case "rows":
      return s.rowBytes * s.rowMap.length;
    case "columns":
      return s.rows * s.cols * s.elementSize;
    case "slice":
      return s.shape.reduce((a, b) => a * b, 1) * s.elementSize;
  }
}
