/**
 * Runs one warm-start job: open the inputs -> plan -> execute -> publish, every storage call
 * through the job's one policy stack (storage/job_store.ts).
 *
 * @module
 */
import { type JobStore, jobStore, type RangeReadOptions, type Store } from "../storage/mod.ts";
import { executePlan } from "./executor.ts";
import { loadNewModel } from "./new_model.ts";
import { oldCheckpointKeys } from "./object_renames.ts";
import { openInputs } from "./open_inputs.ts";
import { buildPlan } from "./planner.ts";
import { buildReport } from "./report.ts";
import { DEFAULT_TUNING, type Tuning } from "./tuning.ts";
import type { JobSpec, ProgressEvent, Report } from "./types.ts";
import { vocabularyCache } from "./vocab_cache.ts";

/** Options for {@link runWarmStart}. */
export interface RunOptions {
  /**
   * Where every location of the spec is read and written: a base store (wrapped in the job's
   * policy stack here) or a job store built by the caller with {@link jobStore}.
   */
  store: Store | JobStore;
  /** Plan only: return the report without moving a byte. */
  dryRun?: boolean;
  /** Progress callback (CLI: stderr, HTTP: NDJSON). */
  onProgress?: (event: ProgressEvent) => void;
  /** Aborts the run; nothing is published. */
  signal?: AbortSignal;
  /** The streaming budget (defaults: {@link DEFAULT_TUNING}). */
  tuning?: Partial<Tuning>;
  /** Retry transient storage faults (5xx, throttling, resets, short bodies); default true. */
  retries?: boolean;
  /** Coalescing and concurrency of reads (defaults: storage/range_reads.ts). */
  rangeReads?: RangeReadOptions;
}

/** True when `store` already is a job's policy stack. */
function isJobStore(store: Store | JobStore): store is JobStore {
  return "readRanges" in store && "pin" in store;
}

/**
 * Warm-starts `spec.newCheckpoint` from `spec.ckptToInitializeFrom` into `spec.output`, exactly as
 * `tf.compat.v1.train.warm_start` would initialise the NEW model, and publishes the merged
 * checkpoint (data shards, then the index, then the `checkpoint` state file).
 *
 * @param spec the parsed job ({@link parseJobSpec})
 * @param options the store, and dry-run, progress, abort and tuning options
 * @returns the report: what happened to every variable, and the byte totals
 * @throws SettingsError for TF's ValueError cases (nothing written); CheckpointError or
 *   StorageError otherwise (nothing published)
 *
 * @example Plan the sample job (a dry run moves no bytes)
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseJobSpec, runWarmStart } from "@warm-start/core";
 * import { FileStore } from "@warm-start/core/storage";
 * const json = JSON.parse(await Deno.readTextFile("docs/sample/warm_start.json"));
 * const spec = parseJobSpec(json, { baseDir: "docs/sample" });
 * const report = await runWarmStart(spec, { store: new FileStore(), dryRun: true });
 * assert.ok(report.dryRun && report.totals.warmStarted > 0);
 * ```
 */
export async function runWarmStart(spec: JobSpec, options: RunOptions): Promise<Report> {
  const started = performance.now();
  const store = isJobStore(options.store) ? options.store : jobStore(options.store, {
    ...(options.retries === false ? { retries: false as const } : {}),
    ...(options.rangeReads ? { rangeReads: options.rangeReads } : {}),
  });
  const tuning: Tuning = { ...DEFAULT_TUNING, ...options.tuning };
  const progress = (phase: ProgressEvent["phase"], message: string) =>
    options.onProgress?.({ phase, message });

  progress("resolve", `resolving ${spec.ckptToInitializeFrom} and ${spec.newCheckpoint}`);
  const inputs = await openInputs(store, spec);

  progress("plan", "planning");
  const model = await loadNewModel(store, inputs.new.index, {
    ...(spec.trainableVariables ? { trainableVariables: spec.trainableVariables } : {}),
    ...(inputs.new.graph ? { objectGraph: inputs.new.graph } : {}),
  });
  const plan = await buildPlan({
    spec,
    oldIndex: inputs.old.index,
    newIndex: inputs.new.index,
    model,
    ...(inputs.old.graph
      ? { oldObjectKeys: oldCheckpointKeys(inputs.old.graph, inputs.new.graph !== undefined) }
      : {}),
    newShardSizes: inputs.new.shardSizes,
    vocabularies: vocabularyCache(store),
  });
  if (options.dryRun) {
    return buildReport(spec, plan, true, Math.round(performance.now() - started));
  }
  await executePlan(plan, {
    store,
    oldIndex: inputs.old.index,
    newIndex: inputs.new.index,
    tuning,
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const report = buildReport(spec, plan, false, Math.round(performance.now() - started));
  progress("done", `wrote ${spec.output} (${report.totals.bytesWritten} bytes)`);
  return report;
}
