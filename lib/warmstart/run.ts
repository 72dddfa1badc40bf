/**
 * Runs one warm-start job: resolve -> plan -> execute -> publish.
 *
 * @module
 */
import type { Store } from "../storage/store.ts";
import type { JobSpec, ProgressEvent, Report } from "./types.ts";

/** Options for {@link runWarmStart}. */
export interface RunOptions {
  /** Where every location of the spec is read and written. */
  store: Store;
  /** Plan only: return the report without moving a byte. */
  dryRun?: boolean;
  /** Progress callback (CLI: stderr, HTTP: NDJSON). */
  onProgress?: (event: ProgressEvent) => void;
  signal?: AbortSignal;
}

/**
 * Warm-starts `spec.newCheckpoint` from `spec.ckptToInitializeFrom` into `spec.output`.
 * Throws SettingsError for TF's ValueError cases (nothing written), CheckpointError /
 * StorageError otherwise (nothing published).
 */
export function runWarmStart(_spec: JobSpec, _options: RunOptions): Promise<Report> {
  return Promise.reject(new Error("runWarmStart: not implemented yet"));
}
