/**
 * The streaming budget of a job, with the reason for each default. Memory is bounded by
 * `chunkBytes × readAhead` plus `rowCacheBytes` for a vocabulary remap, plus the store's part
 * size × upload concurrency (storage/multipart_writer.ts) — never by checkpoint size.
 *
 * @module
 */

/** Tuning of the executor. */
export interface Tuning {
  /** Bytes per streamed chunk (default 1 MiB: large enough that per-chunk costs vanish). */
  chunkBytes: number;
  /** Chunks read ahead of the writer (default 4: keeps a range read in flight per core). */
  readAhead: number;
  /**
   * A vocabulary remap whose needed OLD rows span at most this many bytes reads them once and
   * serves every chunk from memory, as TF's kernel does (default 64 MiB); larger ones read the
   * rows of each chunk.
   */
  rowCacheBytes: number;
  /**
   * Unneeded bytes read per needed byte when the OLD rows of a chunk are joined into fewer
   * requests (default 4: a chunk reads at most 5× its useful bytes, however shuffled).
   */
  maxRowWaste: number;
}

/** The defaults (see {@link Tuning}). */
export const DEFAULT_TUNING: Readonly<Tuning> = {
  chunkBytes: 1024 * 1024,
  readAhead: 4,
  rowCacheBytes: 64 * 1024 * 1024,
  maxRowWaste: 4,
};
