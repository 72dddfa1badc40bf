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
   * rowMap[i] < 0, backup row `backupRowStart + i`.
   */
  | {
    kind: "rows";
    oldKey: string;
    rowBytes: number;
    rowMap: Int32Array;
    backup: Backup;
    backupRowStart: number;
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
