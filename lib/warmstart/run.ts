/**
 * Runs one warm-start job: open the inputs -> plan -> execute -> publish, every storage call
 * through the job's one policy stack (storage/job_store.ts).
 *
 * @module
 */
import { dataLocation, indexLocation } from "../checkpoint/mod.ts";
import {
  dirnameLocation,
  type JobStore,
  jobStore,
  ObjectChangedError,
  type RangeReadOptions,
  settleEach,
  StorageError,
  type Store,
} from "../storage/mod.ts";
import { type ClaimTiming, DEFAULT_CLAIM_TIMING } from "./claim.ts";
import { commitOutput, finishOutput, type PreparedOutput, prepareOutput } from "./commit.ts";
import { type StagedData, stagePlan } from "./executor.ts";
import { jobIdOf } from "./job_id.ts";
import { isPublished, readMarker } from "./marker.ts";
import type { Plan } from "./plan.ts";
import { DEFAULT_LIMITS, type InputLimits } from "./limits.ts";
import { loadNewModel } from "./new_model.ts";
import { oldCheckpointKeys } from "./object_renames.ts";
import { openInputs } from "./open_inputs.ts";
import { ChunkBuffers, jobMemoryFor } from "./chunk_buffers.ts";
import type { JobMemory } from "./job_memory.ts";
import { buildPlan } from "./planner.ts";
import { RemapRunner } from "./remap_passes.ts";
import { buildReport } from "./report.ts";
import { removeSpillArea, spillArea, tokenSpillArea } from "./spill_area.ts";
import {
  abortJob,
  assembleJob,
  closeJob,
  type JobLayout,
  layoutJob,
  openJob,
  readJobRecord,
  readTaskRecord,
  runTask,
  spillEveryPass,
  taskPhases,
} from "./job_tasks.ts";
import {
  jobDirectory,
  type JobPlanRecord,
  mapsListLocation,
  planIdOf,
  tasksListLocation,
} from "./job_files.ts";
import { type TaskBounds, taskBounds } from "./task_split.ts";
import { DEFAULT_TUNING, type Tuning } from "./tuning.ts";
import type { JobSpec, ProgressEvent, Report } from "./types.ts";
import { vocabularyCache } from "./vocab_cache.ts";
import { enforceStrict, inputWarnings, planWarnings, withHints } from "./warnings.ts";
import { planSources, type SourceEntry, sourceId, verifySources } from "./verify_sources.ts";
import type { Inputs } from "./open_inputs.ts";

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
  /** The job's identity (default: a hash of the spec) and what started it, for the marker. */
  job?: { id?: string; trigger?: unknown };
  /**
   * Re-read server-side-copied tensors to check their CRC32C before publishing (default true;
   * false trusts the store's own checksums for copies — every byte that passes through this
   * process is checked regardless).
   */
  verifyCopies?: boolean;
  /** Claim refresh and staleness (defaults: claim.ts). */
  claim?: Partial<ClaimTiming>;
  /** Caps on what the job reads whole (defaults: {@link DEFAULT_LIMITS}). */
  limits?: Partial<InputLimits>;
  /**
   * Allowed location prefixes for a store this function wraps itself (a caller's job store
   * carries its own allow-list).
   */
  allowed?: readonly string[];
  /**
   * A directory for the job's temporary area instead of beside the output (e.g. a local disk for
   * a job on S3: the spill of a remap then never crosses the network).
   */
  spillTo?: string;
  /**
   * Split the job into tasks (job_tasks.ts): resumable, and runnable by other processes.
   * `taskBytes` sets the bounds (task_split.ts `taskBounds`) and splits any job; `runTasks` may
   * run the tasks that have no result yet elsewhere (e.g. a worker pool) and answers true, or
   * false to have them run here, one after another — given alone, it splits a job whose shards
   * need more than one task each under the default bounds; `planOnly` stops once the job is
   * planned and its files written (outcome "planned": the tasks and the commit run elsewhere).
   */
  split?: {
    taskBytes?: number;
    runTasks?: (job: string, tasks: number[]) => Promise<boolean>;
    planOnly?: boolean;
  };
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
    ...(options.allowed ? { allowed: options.allowed } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const tuning: Tuning = { ...DEFAULT_TUNING, ...options.tuning };
  const limits: InputLimits = { ...DEFAULT_LIMITS, ...options.limits };
  const progress = (phase: ProgressEvent["phase"], message: string) =>
    options.onProgress?.({ phase, message });

  progress("resolve", `resolving ${spec.ckptToInitializeFrom} and ${spec.newCheckpoint}`);
  const inputs = await openInputs(store, spec, limits);

  options.signal?.throwIfAborted();
  progress("plan", "planning");
  // The budget as one buffer, carved by each phase in turn (job_memory.ts).
  const memory = jobMemoryFor(tuning);
  // A join of several partitions spills its tokens to the job's area (not in a dry run, which
  // writes nothing): deleted after the join, and, if this run is killed, by the next one.
  const jobId = options.job?.id ?? jobIdOf(spec);
  const area = spillArea(spec.output, jobId, options.spillTo);
  const runId = crypto.randomUUID();
  const vocabularies = vocabularyCache(store, {
    memoryBytes: tuning.memoryBytes,
    memory,
    ...(options.dryRun ? {} : {
      spill: {
        area: tokenSpillArea(area, runId),
        put: (l, b, o) => store.put(l, b, o),
        readRange: (l, r, o) => store.readRange(l, r, o),
        delete: (l) => store.delete(l),
      },
    }),
  });
  const model = await loadNewModel(store, inputs.new.index, {
    ...(spec.trainableVariables ? { trainableVariables: spec.trainableVariables } : {}),
    ...(inputs.new.graph ? { objectGraph: inputs.new.graph } : {}),
    maxMetaBytes: limits.maxMetaBytes,
  });
  const early = await inputWarnings(store, { old: inputs.old.index, new: inputs.new.index });
  const plan = await buildPlan({
    spec,
    oldIndex: inputs.old.index,
    newIndex: inputs.new.index,
    model,
    ...(inputs.old.graph
      ? { oldObjectKeys: oldCheckpointKeys(inputs.old.graph, inputs.new.graph !== undefined) }
      : {}),
    newShardSizes: inputs.new.shardSizes,
    // Planning comes before any remap pass: a join partition may use the whole budget.
    vocabularies,
    tuning,
    ...(options.signal ? { signal: options.signal } : {}),
  }).catch((e) => {
    throw withHints(e, early);
  });
  const warnings = [...early, ...planWarnings(spec, plan, model)];
  enforceStrict(spec, warnings);
  const report = (dryRun: boolean) => ({
    ...buildReport(spec, plan, dryRun, Math.round(performance.now() - started), store.counts),
    ...(warnings.length > 0 ? { warnings } : {}),
  });
  if (options.dryRun) return report(true);
  const who = {
    jobId,
    runId,
    ...(options.job?.trigger !== undefined ? { trigger: options.job.trigger } : {}),
    overwrite: spec.overwrite === true,
    claimTiming: { ...DEFAULT_CLAIM_TIMING, ...options.claim },
  };
  const inputDirs = [inputs.old.prefix, inputs.new.prefix].map(dirnameLocation);
  // Another run of this same job may have published while this one ran, and cleaned this run's
  // claim write or staged uploads as its leftovers: its output is this job's output.
  const publishedByAnotherRun = async (e: unknown): Promise<Report> => {
    const marker = await readMarker(store, spec.output).catch(() => undefined);
    if (marker?.jobId === who.jobId && await isPublished(store, marker).catch(() => false)) {
      progress("done", `${spec.output} was published by another run of this job`);
      return { ...marker.report, outcome: "converged" };
    }
    throw e;
  };
  const indexes = { old: inputs.old.index, new: inputs.new.index };
  const bounds = taskBounds(options.split?.taskBytes);
  const verifyCopies = options.verifyCopies !== false;
  const trial = layoutJob(plan, indexes, store, bounds, verifyCopies);
  // Split when asked to (task bounds, a plan for elsewhere), or when there are workers to run
  // the tasks of a job bigger than one task per shard. In one process a split job is slower than
  // one pass (bench: it writes its records and reads its spill per task), so it is not the default.
  const split = options.split?.taskBytes !== undefined || options.split?.planOnly === true ||
    (options.split?.runTasks !== undefined &&
      trial.tasks.filter((t) => t.kind === "parts").length > plan.shards.length);
  const publish = {
    who,
    inputs: inputEtags(store, spec, inputs, plan),
    ...(store.pinned(indexLocation(inputs.new.prefix))
      ? { newIndexEtag: store.pinned(indexLocation(inputs.new.prefix))! }
      : {}),
  };
  // A split job's earlier run: its uploads are kept (a resumed job completes them).
  let job: { dir: string; planId: string } | undefined;
  let keep = new Set<string>();
  if (split) {
    const planId = planIdOf({
      jobId: who.jobId,
      inputs: publish.inputs,
      rules: trial.rules,
      bounds,
    });
    job = { dir: jobDirectory(spec.output, planId), planId };
    const earlier = await readJobRecord(store, job.dir).catch(() => undefined);
    if (earlier?.planId === planId) keep = new Set(earlier.shards.map((s) => s.upload.uploadId));
  }
  let prepared: PreparedOutput;
  try {
    prepared = await prepareOutput(store, plan, inputDirs, who, keep);
  } catch (e) {
    return await publishedByAnotherRun(e);
  }
  // The job is this run's now: what a killed run's joins spilled goes (this run's are gone),
  // whether or not this run spilled (a run with a larger budget, or exact counts that fit in
  // one table, does not).
  await removeSpillArea(store, tokenSpillArea(area));
  if (prepared.published) {
    progress("done", `${spec.output} is already published by this job`);
    return { ...prepared.published.report, outcome: "already_published" };
  }
  let ok = false;
  let staged: StagedData | undefined;
  const commit = { visible: false };
  let end: "published" | "failed" | "failed_visible" | "planned" = "failed";
  try {
    let tasks: { tasks: number; tasksReused: number } | undefined;
    let record: JobPlanRecord | undefined;
    if (job) {
      spillEveryPass(plan);
      // The plan's own area (openJob adds the generation): an earlier plan of this job (other
      // bounds, other inputs) never shares a spill name with it.
      const planArea = spillArea(spec.output, `${who.jobId}.${job.planId}`, options.spillTo);
      const split = await runSplit(store, job, plan, inputs, tuning, options, {
        layout: trial,
        bounds,
        area: planArea,
        memory,
        record: {
          report: report(false),
          publish,
          inputDirs,
        },
      });
      if (split.planned) {
        end = "planned";
        progress("done", `planned ${split.tasks} tasks in ${job.dir}`);
        return {
          ...report(false),
          totals: { ...report(false).totals, tasks: split.tasks, tasksReused: split.tasksReused },
          job: {
            dir: job.dir,
            mapsLocation: mapsListLocation(job.dir),
            tasksLocation: tasksListLocation(job.dir),
          },
          outcome: "planned",
        };
      }
      staged = split.staged;
      record = split.record;
      tasks = { tasks: split.tasks, tasksReused: split.tasksReused };
    } else {
      staged = await stageVerified(store, plan, inputs, tuning, options, {
        memory,
        area,
      });
    }
    options.onProgress?.({ phase: "write-index", message: `publishing ${spec.output}` });
    const base = report(false);
    const final = tasks ? { ...base, totals: { ...base.totals, ...tasks } } : base;
    const committed = await commitOutput(store, plan, staged!, prepared, {
      ...publish,
      report: final,
    }, commit);
    ok = true;
    staged = undefined;
    if (job) await closeJob(store, job.dir, record!);
    progress("done", `wrote ${spec.output} (${final.totals.bytesWritten} bytes)`);
    return { ...final, outcome: committed.converged ? "converged" : "written" };
  } catch (e) {
    // A split job keeps its uploads and results for a rerun unless its inputs are at fault.
    if (job && !resumable(e)) {
      const record = await readJobRecord(store, job.dir).catch(() => undefined);
      if (record) await abortJob(store, job.dir, record).catch(() => {});
    }
    return await publishedByAnotherRun(e);
  } finally {
    if (staged && !job) {
      await settleEach(staged.shards, (s) => store.abortUpload(s.upload));
    }
    if (end === "planned") {
      await prepared.claim?.keep();
    } else {
      await finishOutput(
        store,
        spec.output,
        prepared,
        ok ? "published" : commit.visible ? "failed_visible" : "failed",
      );
    }
  }
}

/** True when a rerun of a failed split job can use its tasks (the failure was transient). */
function resumable(e: unknown): boolean {
  if (e instanceof ObjectChangedError) return false;
  if (e instanceof StorageError) return e.retryable;
  return (e as Error)?.name === "AbortError" || (e as Error)?.name === "TimeoutError";
}

/** What {@link runSplit} needs beyond the run's. */
interface SplitJob {
  layout: JobLayout;
  bounds: TaskBounds;
  area: string;
  memory: JobMemory;
  record: {
    report: Report;
    publish: {
      who: { jobId: string; trigger?: unknown; overwrite: boolean };
      inputs: Record<string, string>;
      newIndexEtag?: string;
    };
    inputDirs: string[];
  };
}

/**
 * A split job in this run: open (or resume) its files and uploads, spill its remap passes once,
 * run the tasks without a result (here, or through `options.split.runTasks`), assemble.
 */
async function runSplit(
  store: JobStore,
  job: { dir: string; planId: string },
  plan: Plan,
  inputs: Inputs,
  tuning: Tuning,
  options: RunOptions,
  s: SplitJob,
): Promise<
  | { planned: true; tasks: number; tasksReused: number }
  | {
    planned: false;
    tasks: number;
    tasksReused: number;
    staged: StagedData;
    record: JobPlanRecord;
  }
> {
  const { layout } = s;
  const { record } = await openJob(store, job.dir, {
    version: 1,
    planId: job.planId,
    jobId: s.record.publish.who.jobId,
    plan,
    inputs: s.record.publish.inputs,
    ...(s.record.publish.newIndexEtag ? { newIndexEtag: s.record.publish.newIndexEtag } : {}),
    inputDirs: s.record.inputDirs,
    shards: layout.layouts.map((l, i) => ({
      location: l.location,
      size: l.size,
      parts: layout.tables[i],
      serverSide: l.serverSide,
    })),
    tasks: layout.tasks,
    bounds: s.bounds,
    spill: s.area,
    report: s.record.report,
    ...(s.record.publish.who.trigger !== undefined
      ? { trigger: s.record.publish.who.trigger }
      : {}),
    overwrite: s.record.publish.who.overwrite,
  }, layout.layouts);
  const sources = {
    store,
    oldIndex: inputs.old.index,
    newIndex: inputs.new.index,
    tuning,
    verified: new Set<string>(),
    buffers: new ChunkBuffers(s.memory, tuning),
  };
  try {
    const done = await Promise.all(
      record.tasks.map((_, i) => readTaskRecord(store, job.dir, record, i)),
    );
    const left = (phase: number[]) => phase.filter((i) => !done[i]);
    const phases = taskPhases(record).map(left);
    const pending = phases.flat().length;
    const counts = { tasks: record.tasks.length, tasksReused: record.tasks.length - pending };
    if (options.split?.planOnly) return { planned: true, ...counts };
    const remaps = new RemapRunner(sources, plan.remapPasses, record.spill, {
      memory: s.memory,
      attached: true,
    });
    const src = {
      ...sources,
      remaps,
      layouts: layout.layouts,
      memory: s.memory,
      ...(options.signal ? { signal: options.signal } : {}),
    };
    try {
      // The map tasks (remap window passes) spill what every other task reads: they go first.
      let n = 0;
      for (const phase of phases) {
        if (phase.length === 0) continue;
        const elsewhere = options.split?.runTasks !== undefined &&
          await options.split.runTasks(job.dir, phase);
        if (elsewhere) {
          n += phase.length;
          continue;
        }
        for (const i of phase) {
          options.signal?.throwIfAborted();
          options.onProgress?.({
            phase: "write-data",
            message: `task ${i} (${++n} of ${pending}, ${record.tasks[i].kind})`,
          });
          await runTask(src, job.dir, record, i);
        }
      }
    } finally {
      await remaps.cleanup();
    }
    const staged = await assembleJob(store, job.dir, record, layout.layouts);
    return { planned: false, ...counts, staged, record };
  } finally {
    sources.buffers.release();
  }
}

/**
 * Stages the data shards while every source tensor is checked against its CRC32C; a mismatch
 * aborts the staged uploads and fails the job before anything is published. The window passes of
 * the plan's remaps run first (remap_passes.ts): they read their OLD tables sequentially, whole
 * tables are checked on the way, and the spill of what a killed earlier run left is removed
 * before and this run's after, whatever happens. The tensors the window passes do not read are
 * checked while they run, so the check reads are not held beside the bucket pass's buffers and
 * the output's part buffers (the job's peak); what the passes did not check whole is checked
 * after them.
 */
async function stageVerified(
  store: JobStore,
  plan: Plan,
  inputs: Inputs,
  tuning: Tuning,
  options: RunOptions,
  job: { memory: JobMemory; area: string },
): Promise<StagedData> {
  const verified = new Set<string>();
  const segmentSources = {
    store,
    oldIndex: inputs.old.index,
    newIndex: inputs.new.index,
    tuning,
    verified,
    buffers: new ChunkBuffers(job.memory, tuning),
  };
  const remaps = new RemapRunner(segmentSources, plan.remapPasses, job.area, {
    memory: job.memory,
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const skip = checkedOnTheWay(store, plan, inputs, options);
  const mapped = remaps.mappedSources();
  const sources = planSources(plan, inputs.old.index, inputs.new.index);
  const isMapped = (e: SourceEntry) => mapped.has(sourceId(e.side, e.entry));
  const verify = (of: SourceEntry[]) => {
    const run = verifySources(store, { old: inputs.old.index, new: inputs.new.index }, of, {
      verified,
      skip,
      memory: job.memory,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    run.catch(() => {}); // awaited below; staging may fail first
    return run;
  };
  const checks = [verify(sources.filter((e) => !isMapped(e)))];
  let staged: StagedData | undefined;
  try {
    if (remaps.spills) await removeSpillArea(store, job.area);
    await remaps.prepare();
    checks.push(verify(sources.filter(isMapped)));
    staged = await stagePlan(plan, {
      ...segmentSources,
      remaps,
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    await Promise.all(checks);
    return staged;
  } catch (e) {
    await Promise.allSettled(checks);
    if (staged) await settleEach(staged.shards, (s) => store.abortUpload(s.upload));
    throw e;
  } finally {
    await remaps.cleanup();
    segmentSources.buffers.release();
    if (remaps.spills) await removeSpillArea(store, job.area);
  }
}

/**
 * The source entries {@link stageVerified} need not read again: tensors streamed verbatim (the
 * executor checks them on the way) and, unless asked to verify copies, server-side copies.
 */
function checkedOnTheWay(
  store: JobStore,
  plan: Plan,
  inputs: Inputs,
  options: RunOptions,
): Set<string> {
  const out = new Set<string>();
  for (const shard of plan.shards) {
    for (const t of shard.tensors) {
      const [s] = t.segments;
      if (t.crc32c === undefined || t.segments.length !== 1 || s.kind !== "range") continue;
      const index = s.from === "old" ? inputs.old.index : inputs.new.index;
      const location = dataLocation(index.prefix, s.shardId, index.header.numShards);
      const entry = index.entries.find((e) =>
        e.slices.length === 0 && e.shardId === s.shardId && e.offset === s.offset
      );
      if (!entry) continue;
      const serverSide = store.copiesServerSide(
        location,
        dataLocation(plan.output, shard.shardId, plan.header.numShards),
      );
      if (!serverSide || options.verifyCopies === false) out.add(sourceId(s.from, entry));
    }
  }
  return out;
}

/** The ETag of every input object the job read (for the marker). */
function inputEtags(
  store: JobStore,
  spec: JobSpec,
  inputs: Inputs,
  plan: Plan,
): Record<string, string> {
  const locations = [inputs.old, inputs.new].flatMap((c) => [
    indexLocation(c.prefix),
    ...c.shardSizes.map((_, i) => dataLocation(c.prefix, i, c.shardSizes.length)),
  ]);
  if (plan.metaLocation) locations.push(plan.metaLocation);
  for (const info of Object.values(spec.varNameToVocabInfo)) {
    locations.push(info.newVocab, info.oldVocab);
  }
  const out: Record<string, string> = {};
  for (const l of locations) {
    const etag = store.pinned(l);
    if (etag !== undefined) out[l] = etag;
  }
  return out;
}
