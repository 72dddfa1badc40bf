/**
 * The distributed job as four operations a worker anywhere can run, each a pure function of the
 * job's files in storage (job_files.ts) and the pinned inputs: `plan` (plan, claim the output,
 * open one upload per data shard, write the job files, answer the task list), `task` (write one
 * task's parts and its result), `commit` (check every result, complete the uploads, publish) and
 * `abort` (abort every upload, publish nothing). Messages stay small: a task is `{job, task}`.
 *
 * @module
 */
import { type BundleIndex, readBundleIndex } from "../checkpoint/mod.ts";
import {
  type JobStore,
  jobStore,
  ObjectChangedError,
  ObjectNotFoundError,
  parseLocation,
  StorageError,
  type Store,
} from "../storage/mod.ts";
import { claimLocation, DEFAULT_CLAIM_TIMING, peekClaim } from "./claim.ts";
import { commitOutput, finishOutput, prepareOutput } from "./commit.ts";
import { SpecError } from "./errors.ts";
import { ChunkBuffers, jobMemoryFor } from "./chunk_buffers.ts";
import { type JobPlanRecord, planRecordLocation } from "./job_files.ts";
import { jobIdOf } from "./job_id.ts";
import { parseJobSpec } from "./job_spec.ts";
import {
  abortJob,
  assembleJob,
  closeJob,
  readJobRecord,
  runTask,
  taskPhases,
} from "./job_tasks.ts";
import { planLayout, type ShardLayout } from "./layout.ts";
import { checkJobLocations, checkJobRecord } from "./job_record_check.ts";
import { DEFAULT_LIMITS, type InputLimits } from "./limits.ts";
import { RemapRunner } from "./remap_passes.ts";
import { runWarmStart } from "./run.ts";
import { DEFAULT_TUNING, type Tuning } from "./tuning.ts";
import type { ProgressEvent, Report } from "./types.ts";

/** One operation of a distributed job (an SQS message body, a pool worker's request). */
export type JobMessage =
  /** Plans the job of `spec` (its JSON; locations absolute) into tasks of at most `taskBytes`. */
  | { op: "plan"; spec: Record<string, unknown>; taskBytes?: number; trigger?: unknown }
  /** Runs task `task` of the job whose files are at `job`. */
  | { op: "task"; job: string; task: number }
  /** Checks every task result and publishes the output. */
  | { op: "commit"; job: string }
  /** Aborts every upload of the job; nothing is published. */
  | { op: "abort"; job: string; error?: string };

/** What `plan` answers. */
export interface PlanResult {
  /** The job's directory (`<output dir>/.warm_start/<name>.<planId>/`): every message names it. */
  job: string;
  /** The job id (a hash of the spec and the input ETags). */
  jobId: string;
  /** Number of tasks. */
  tasks: number;
  /** Tasks whose results from an earlier run were reused (they need not run again). */
  tasksReused: number;
  /**
   * `maps.json`: the map tasks (remap window passes), a JSON array of `{job, task}` items — the
   * first phase's ItemReader input; every one must finish before any task of `tasks.json` runs.
   */
  mapsLocation: string;
  /** Bucket of `mapsLocation` when it is on S3. */
  mapsBucket?: string;
  /** Key of `mapsLocation` when it is on S3. */
  mapsKey?: string;
  /** Number of map tasks (0: the first phase has nothing to do). */
  mapTasks: number;
  /** `tasks.json`: the other tasks, `{job, task}` items (the second phase's ItemReader input). */
  tasksLocation: string;
  /** Bucket of `tasksLocation` when it is on S3 (the ItemReader's parameters). */
  tasksBucket?: string;
  /** Key of `tasksLocation` when it is on S3. */
  tasksKey?: string;
  /** Set when the output is already published by this job: nothing to run. */
  published?: boolean;
}

/** What `task` answers. */
export interface TaskResultSummary {
  /** The task. */
  task: number;
  /** True when its result already existed (a rerun or a duplicate message): nothing was written. */
  reused: boolean;
  /** Bytes of the parts it wrote. */
  bytes: number;
}

/** Options of {@link runJobOp}. */
export interface JobOpOptions {
  /** The base store (wrapped in the job's policy stack here). */
  store: Store;
  /** Allowed location prefixes (WARM_START_ALLOWED), or undefined for all. */
  allowed?: readonly string[];
  /** Aborts the operation. */
  signal?: AbortSignal;
  /** Progress callback. */
  onProgress?: (event: ProgressEvent) => void;
  /** The streaming budget. */
  tuning?: Partial<Tuning>;
  /** Caps on what the job reads whole. */
  limits?: Partial<InputLimits>;
}

/** A job directory as plan makes them: `…/.warm_start/<name>.<16 hex digits>/`. */
const JOB_DIR = /\/\.warm_start\/[^/]+\.[0-9a-f]{16}\/$/;

function bad(field: string, why: string): never {
  throw new SpecError(`Invalid job message: ${field}: ${why}`, { field });
}

/** Checks the shape of a message from a queue or a pool (anything else: SpecError). */
export function parseJobMessage(value: unknown): JobMessage {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    bad("(root)", "expected a JSON object");
  }
  const m = value as Record<string, unknown>;
  const job = () => {
    if (typeof m.job !== "string" || m.job.length > 2048 || !JOB_DIR.test(m.job)) {
      bad("job", "expected a job directory (…/.warm_start/<name>.<plan id>/)");
    }
    return m.job;
  };
  switch (m.op) {
    case "plan": {
      if (m.spec === null || typeof m.spec !== "object" || Array.isArray(m.spec)) {
        bad("spec", "expected the job spec (a JSON object)");
      }
      if (
        m.taskBytes !== undefined &&
        (typeof m.taskBytes !== "number" || !Number.isSafeInteger(m.taskBytes) || m.taskBytes < 1)
      ) {
        bad("taskBytes", "expected a positive integer");
      }
      return {
        op: "plan",
        spec: m.spec as Record<string, unknown>,
        ...(m.taskBytes !== undefined ? { taskBytes: m.taskBytes as number } : {}),
        ...(m.trigger !== undefined ? { trigger: m.trigger } : {}),
      };
    }
    case "task": {
      const dir = job();
      if (typeof m.task !== "number" || !Number.isSafeInteger(m.task) || m.task < 0) {
        bad("task", "expected a task number");
      }
      return { op: "task", job: dir, task: m.task as number };
    }
    case "commit":
      return { op: "commit", job: job() };
    case "abort":
      return {
        op: "abort",
        job: job(),
        ...(typeof m.error === "string" ? { error: m.error.slice(0, 1000) } : {}),
      };
    default:
      bad("op", "expected plan, task, commit or abort");
  }
}

/**
 * Runs one operation of a distributed job.
 *
 * @param message the operation (checked: {@link parseJobMessage})
 * @param options store, allow-list, abort signal
 * @returns plan: {@link PlanResult}; task: {@link TaskResultSummary}; commit: the job's report;
 *   abort: `{ aborted: true }`
 * @throws the engine's typed errors (outcome table: function/outcome.ts says whether a retry helps)
 */
export async function runJobOp(
  message: JobMessage,
  options: JobOpOptions,
): Promise<PlanResult | TaskResultSummary | Report | { aborted: true }> {
  const m = parseJobMessage(message);
  const store = jobStore(options.store, {
    ...(options.allowed ? { allowed: options.allowed } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const tuning: Tuning = { ...DEFAULT_TUNING, ...options.tuning };
  const limits: InputLimits = { ...DEFAULT_LIMITS, ...options.limits };
  switch (m.op) {
    case "plan":
      return await planJob(store, m, options);
    case "task": {
      const opened = await openJobDir(store, m.job, limits);
      const memory = jobMemoryFor(tuning);
      const sources = {
        store,
        oldIndex: opened.oldIndex,
        newIndex: opened.newIndex,
        tuning,
        verified: new Set<string>(),
        buffers: new ChunkBuffers(memory, tuning),
      };
      const remaps = new RemapRunner(sources, opened.record.plan.remapPasses, opened.record.spill, {
        memory,
        attached: true,
      });
      try {
        const r = await runTask(
          {
            ...sources,
            remaps,
            layouts: opened.layouts,
            memory,
            ...(options.signal ? { signal: options.signal } : {}),
          },
          m.job,
          opened.record,
          m.task,
        );
        return { task: m.task, ...r };
      } finally {
        await remaps.cleanup();
        sources.buffers.release();
      }
    }
    case "commit":
      return await commitJob(store, m.job, limits, options);
    case "abort": {
      const record = await readJobRecord(store, m.job).catch(() => undefined);
      if (record) {
        checkJobLocations(record, m.job);
        await abortJob(store, m.job, record);
        const held = await peekClaim(store, record.plan.output).catch(() => undefined);
        if (held?.jobId === record.jobId) await store.delete(claimLocation(record.plan.output));
      }
      return { aborted: true };
    }
  }
}

async function planJob(
  store: JobStore,
  m: Extract<JobMessage, { op: "plan" }>,
  options: JobOpOptions,
): Promise<PlanResult> {
  const spec = parseJobSpec(m.spec);
  const report = await runWarmStart(spec, {
    store,
    split: { ...(m.taskBytes !== undefined ? { taskBytes: m.taskBytes } : {}), planOnly: true },
    ...(m.trigger !== undefined ? { job: { trigger: m.trigger } } : {}),
    ...(options.tuning ? { tuning: options.tuning } : {}),
    ...(options.limits ? { limits: options.limits } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const jobId = jobIdOf(spec);
  if (report.outcome !== "planned" || !report.job) {
    return {
      job: "",
      jobId,
      tasks: 0,
      tasksReused: 0,
      mapsLocation: "",
      mapTasks: 0,
      tasksLocation: "",
      published: true,
    };
  }
  const tasksAt = parseLocation(report.job.tasksLocation);
  const mapsAt = parseLocation(report.job.mapsLocation);
  const record = await readJobRecord(store, report.job.dir);
  return {
    job: report.job.dir,
    jobId,
    tasks: report.totals.tasks ?? 0,
    tasksReused: report.totals.tasksReused ?? 0,
    mapsLocation: report.job.mapsLocation,
    ...(mapsAt.scheme === "s3" ? { mapsBucket: mapsAt.bucket, mapsKey: mapsAt.key } : {}),
    mapTasks: record ? taskPhases(record)[0].length : 0,
    tasksLocation: report.job.tasksLocation,
    ...(tasksAt.scheme === "s3" ? { tasksBucket: tasksAt.bucket, tasksKey: tasksAt.key } : {}),
  };
}

/** A job's record, its inputs' indexes (every read pinned to the plan's ETags) and layouts. */
/** What {@link openJobDir} gives. */
interface OpenedJob {
  record: JobPlanRecord;
  oldIndex: BundleIndex;
  newIndex: BundleIndex;
  layouts: ShardLayout[];
}

/**
 * The job a worker last opened, by directory and `plan.json` ETag: a worker that runs task
 * after task of one job reads and checks its record and indexes once (they are pinned, so the
 * same ETag means the same bytes).
 */
const lastOpened = new Map<string, { etag: string; opened: OpenedJob }>();

async function openJobDir(store: JobStore, job: string, limits: InputLimits): Promise<OpenedJob> {
  const st = await store.stat(planRecordLocation(job), { fresh: true });
  const cached = st && lastOpened.get(job);
  if (st && cached && cached.etag === st.etag) {
    for (const [location, etag] of Object.entries(cached.opened.record.inputs)) {
      store.pin(location, etag);
    }
    return cached.opened;
  }
  const opened = await openJobDirNow(store, job, limits);
  lastOpened.clear();
  if (st) lastOpened.set(job, { etag: st.etag, opened });
  return opened;
}

async function openJobDirNow(
  store: JobStore,
  job: string,
  limits: InputLimits,
): Promise<OpenedJob> {
  const record = await readJobRecord(store, job);
  if (!record) {
    throw new ObjectNotFoundError(`${job} holds no job (no plan.json): plan it first`, {
      location: job,
    });
  }
  checkJobLocations(record, job);
  for (const [location, etag] of Object.entries(record.inputs ?? {})) {
    if (typeof etag === "string") store.pin(location, etag);
  }
  const { plan } = record;
  const [oldIndex, newIndex] = await Promise.all([
    readBundleIndex(store, plan.oldPrefix, { maxBytes: limits.maxIndexBytes }),
    readBundleIndex(store, plan.newPrefix, { maxBytes: limits.maxIndexBytes }),
  ]);
  const layouts: ShardLayout[] = planLayout(plan, { oldIndex, newIndex }, store);
  checkJobRecord(record, job, layouts);
  // The copies are the plan's, whatever this worker's store would choose.
  layouts.forEach((l, i) => {
    l.serverSide = record.shards[i].serverSide;
  });
  return { record, oldIndex, newIndex, layouts };
}

/** The commit op: checks every result, publishes, removes the job's files. */
async function commitJob(
  store: JobStore,
  job: string,
  limits: InputLimits,
  options: JobOpOptions,
): Promise<Report> {
  const { record, layouts } = await openJobDir(store, job, limits);
  const { plan } = record;
  const who = {
    jobId: record.jobId,
    runId: crypto.randomUUID(),
    ...(record.trigger !== undefined ? { trigger: record.trigger } : {}),
    overwrite: record.overwrite,
    claimTiming: { ...DEFAULT_CLAIM_TIMING },
  };
  const keep = new Set(record.shards.map((s) => s.upload.uploadId));
  const prepared = await prepareOutput(store, plan, record.inputDirs, who, keep);
  if (prepared.published) {
    await closeJob(store, job, record);
    return { ...prepared.published.report, outcome: "already_published" };
  }
  const progress = { visible: false };
  let ok = false;
  try {
    const staged = await assembleJob(store, job, record, layouts);
    options.onProgress?.({ phase: "write-index", message: `publishing ${plan.output}` });
    const { requests: _planRequests, ...report } = record.report;
    const committed = await commitOutput(store, plan, staged, prepared, {
      who,
      inputs: record.inputs,
      report,
      ...(record.newIndexEtag ? { newIndexEtag: record.newIndexEtag } : {}),
    }, progress);
    ok = true;
    await closeJob(store, job, record);
    return { ...report, outcome: committed.converged ? "converged" : "written" };
  } catch (e) {
    if (e instanceof ObjectChangedError || (e instanceof StorageError && !e.retryable)) {
      await abortJob(store, job, record).catch(() => {});
    }
    throw e;
  } finally {
    await finishOutput(
      store,
      plan.output,
      prepared,
      ok ? "published" : progress.visible ? "failed_visible" : "failed",
    );
  }
}
