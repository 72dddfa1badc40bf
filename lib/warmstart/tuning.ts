/**
 * The streaming budget of a job, with the reason for each default. Memory is bounded by
 * `chunkBytes × readAhead` plus `memoryBytes` (the OLD rows of a vocabulary remap, or a partition
 * of a vocabulary join), plus the store's part size × upload concurrency
 * (storage/multipart_writer.ts) — never by checkpoint size.
 *
 * @module
 */

/** Tuning of the planner and the executor. */
export interface Tuning {
  /** Bytes per streamed chunk (default 1 MiB: large enough that per-chunk costs vanish). */
  chunkBytes: number;
  /** Chunks read ahead of the writer (default 4: keeps a range read in flight per core). */
  readAhead: number;
  /**
   * Bytes a job may hold for remapped OLD rows (a remap's windows and buckets) or for one
   * partition of a vocabulary join (default 64 MiB: with the runtime, the vocabulary maps and the
   * upload buffers, a job stays within a 256 MiB RSS).
   */
  memoryBytes: number;
  /**
   * Unneeded bytes read per needed byte when the OLD rows of a chunk are joined into fewer
   * requests (default 4: a chunk reads at most 5× its useful bytes, however shuffled).
   */
  maxRowWaste: number;
  /**
   * What one request costs, in bytes read (default 64 KiB, the coalescing gap of range reads):
   * the planner weighs requests against bytes with it to pick a remap's strategy.
   */
  requestCostBytes: number;
  /**
   * Reads every axis-0 remap with this strategy instead of the cheapest (tests and benchmarks;
   * plan.ts RowsStrategy). Unset by default.
   */
  strategy?: "runs" | "memory" | "buckets";
}

/** The defaults (see {@link Tuning}). */
export const DEFAULT_TUNING: Readonly<Tuning> = {
  chunkBytes: 1024 * 1024,
  readAhead: 4,
  memoryBytes: 64 * 1024 * 1024,
  maxRowWaste: 4,
  requestCostBytes: 64 * 1024,
};
