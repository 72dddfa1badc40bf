/**
 * Runs jobs idempotently around the engine (`runWarmStart`):
 *
 * - a finished job (completion marker with the same job id) is a cheap no-op: `already_done`;
 * - an older event for an output a newer event already produced is `superseded`;
 * - the same job started twice in this instance runs once (the second caller joins the first);
 * - across instances the engine's claim and create-only writes decide (warmstart/commit.ts):
 *   runs of one job converge (`converged`), a different job gets JobConflictError (409);
 * - with Step Functions configured (distributed.ts), a job that asks for it (`distributed: true`)
 *   or whose dry run writes more than `minBytes` is handed to a state machine execution named by
 *   the job id: `distributed`, with the execution (a duplicate answers the same execution);
 * - at most `maxJobs` run at once (job_slots.ts); every job has a deadline, and `abortAll`
 *   (shutdown) aborts the running ones — a job's store fails every call once it is aborted
 *   (deletes excepted), and the runner answers at once instead of waiting for the engine to
 *   notice; every job's store has the allow-list.
 *
 * Every job logs structured lines (job, phase, bytes, rate, durationMs).
 *
 * @module
 */
import { jobStore, type Store } from "../storage/mod.ts";
import {
  changedInputs,
  type CompletionMarker,
  type InputLimits,
  isPublished,
  JobConflictError,
  jobIdOf,
  type JobSpec,
  type ProgressEvent,
  readMarker,
  removeLeftovers,
  type Report,
  type RunOptions,
} from "../warmstart/mod.ts";
import type { DistributedJobs, ExecutionInfo } from "./distributed.ts";
import { JobTimeoutError, UsageError } from "./errors.ts";
import { JobSlots } from "./job_slots.ts";
import type { Logger } from "./log.ts";
import { supersededBy, type TriggerInfo } from "./trigger.ts";

/** The engine's signature (`runWarmStart`), injectable for tests. */
export type WarmStartRunner = (spec: JobSpec, options: RunOptions) => Promise<Report>;

/** What a job run amounted to. */
export type JobStatus =
  | "done"
  | "dry_run"
  | "already_done"
  | "superseded"
  | "converged"
  | "distributed";

/** The result of {@link JobRunner.runJob}. */
export interface JobOutcome {
  /** Hash of the canonical spec. */
  jobId: string;
  /** What the run amounted to. */
  status: JobStatus;
  /** The report: fresh (done, dry_run), from the marker (already_done), or a plan (converged). */
  report?: Report;
  /** `distributed`: the Step Functions execution running (or done with) the job. */
  execution?: ExecutionInfo;
}

/** One job to run. */
export interface JobRequest {
  /** The validated spec. */
  spec: JobSpec;
  /** Plan only. */
  dryRun?: boolean;
  /** What started the job (recorded in the marker). */
  trigger: TriggerInfo;
  /** Progress events, tagged with the job id. */
  onProgress?: (event: ProgressEvent & { job: string }) => void;
  /** Aborts the run; nothing is published. */
  signal?: AbortSignal;
  /** Wait in the bounded queue for a slot instead of failing with TooManyJobsError (events). */
  queue?: boolean;
  /**
   * true: hand the job to Step Functions; false: run it here whatever its size; undefined: by
   * size (`minBytes`), when Step Functions is configured.
   */
  distributed?: boolean;
  /** Task bound of a distributed job (default: the configuration's, else the engine's). */
  taskBytes?: number;
}

/** Dependencies of {@link createJobRunner}. */
export interface JobRunnerDeps {
  /** The engine. */
  run: WarmStartRunner;
  /** Where everything is read and written. */
  store: Store;
  /** Structured log sink. */
  log: Logger;
  /** Clock in ms (default Date.now). */
  now?: () => number;
  /** Engine options every job gets (verification of copies, claim timing, tuning). */
  engine?: Pick<RunOptions, "verifyCopies" | "claim" | "tuning">;
  /** Allowed location prefixes: every job's store refuses everything else (default: all). */
  allowed?: readonly string[];
  /** Jobs running at once (default 4). */
  maxJobs?: number;
  /** Jobs waiting for a slot at most (default 32). */
  maxQueued?: number;
  /** Deadline of every job in ms (default 1 h). */
  jobTimeoutMs?: number;
  /** Caps on what a job reads whole. */
  limits?: Partial<InputLimits>;
  /** Step Functions, when configured (distributed.ts). */
  distributed?: DistributedJobs;
}

/** Runs jobs; see the module doc. */
export interface JobRunner {
  /** Runs (or joins, or skips) one job. */
  runJob(request: JobRequest): Promise<JobOutcome>;
  /** Number of jobs running now. */
  readonly running: number;
  /** Number of jobs waiting for a slot. */
  readonly queued: number;
  /** Whether {@link runJob} would take `request` now (joins, a free slot, or room to queue). */
  admits(request: Pick<JobRequest, "spec" | "dryRun" | "queue">): boolean;
  /** Resolves when no job is running (graceful shutdown, tests). */
  idle(): Promise<void>;
  /** Aborts every running and queued job with `reason` (shutdown). */
  abortAll(reason: unknown): void;
}

/** At most one progress log line per phase this often (ms); a phase's first event is logged. */
const PROGRESS_LOG_EVERY_MS = 3000;

function rate(bytes: number, ms: number): number {
  return ms > 0 ? Math.round(bytes / (ms / 1000)) : 0;
}

/** What a log line says about an error: its class, message, code and (S3) request id. */
function errorFields(e: unknown): Record<string, unknown> {
  const err = (e ?? {}) as { name?: string; message?: string; code?: unknown; requestId?: unknown };
  return {
    name: err.name,
    message: err.message,
    ...(typeof err.code === "string" ? { code: err.code } : {}),
    ...(typeof err.requestId === "string" ? { requestId: err.requestId } : {}),
  };
}

/**
 * What an existing completion marker means for a job: undefined = no (intact) marker, go ahead;
 * else already done (same job, inputs unchanged, its files still there), superseded (an older
 * event for the same key), or a conflict (another job published this output, or the inputs
 * changed since).
 *
 * @throws JobConflictError when the output belongs to another job or input version
 */
async function decideFromMarker(
  store: Store,
  jobId: string,
  request: JobRequest,
  marker: CompletionMarker | undefined,
): Promise<JobOutcome | undefined> {
  // A marker whose files were deleted or replaced describes nothing: run the job (the engine
  // removes the stale marker).
  if (marker === undefined || !await isPublished(store, marker)) return undefined;
  const { spec, trigger } = request;
  if (marker.jobId === jobId) {
    const changed = await changedInputs(store, marker);
    if (changed.length > 0) {
      throw new JobConflictError(
        spec.output,
        `from an earlier version of its inputs (${changed.slice(0, 3).join(", ")} changed since)`,
      );
    }
    await removeLeftovers(store, spec.output);
    return { jobId, status: "already_done", report: marker.report };
  }
  if (await supersededBy(store, trigger, marker.trigger as TriggerInfo | undefined)) {
    return { jobId, status: "superseded", report: marker.report };
  }
  throw new JobConflictError(spec.output, `by job ${marker.jobId}`);
}

/**
 * Creates a {@link JobRunner}.
 *
 * @param deps engine, base store, log, clock
 * @returns the runner
 */
export function createJobRunner(deps: JobRunnerDeps): JobRunner {
  const { run, log } = deps;
  const now = deps.now ?? (() => Date.now());
  const jobTimeoutMs = deps.jobTimeoutMs ?? 3_600_000;
  const inFlight = new Map<string, Promise<JobOutcome>>();
  const slots = new JobSlots(deps.maxJobs ?? 4, deps.maxQueued ?? 32);
  const controllers = new Set<AbortController>();
  // Aborted by abortAll: queued jobs stop waiting, new ones are refused.
  const closing = new AbortController();

  async function execute(
    jobId: string,
    request: JobRequest,
    signal: AbortSignal,
  ): Promise<JobOutcome> {
    const { spec, trigger } = request;
    const started = now();
    const fields = {
      job: jobId,
      output: spec.output,
      trigger: trigger.source,
      ...(trigger.schedule !== undefined ? { schedule: trigger.schedule } : {}),
      ...(trigger.watch !== undefined ? { watch: trigger.watch } : {}),
    };
    // Every storage call of the job, the runner's own included, goes through one policy stack;
    // its retries are logged (and counted by telemetry.ts, which reads these lines).
    // The allow-list checks each location; the signal ends every call once the job is aborted.
    const store = jobStore(deps.store, {
      ...(deps.allowed ? { allowed: deps.allowed } : {}),
      signal,
      retries: {
        onRetry: ({ op, attempt, delayMs, error }) =>
          log("warn", "storage retry", {
            ...fields,
            op,
            attempt,
            delayMs,
            error: errorFields(error),
          }),
      },
    });
    const requests = () => ({ reads: store.counts.reads, bytesRead: store.counts.bytesRead });
    const fromMarker = (marker: CompletionMarker | undefined) =>
      decideFromMarker(store, jobId, request, marker);
    if (!request.dryRun) {
      const done = await fromMarker(await readMarker(store, spec.output));
      if (done) {
        log("info", "job skipped", { ...fields, phase: done.status });
        return done;
      }
    }
    if (!request.dryRun) {
      const handed = await handOver(jobId, request, store, signal, fields);
      if (handed) return handed;
    }
    log("info", "job started", { ...fields, phase: "start", dryRun: request.dryRun === true });
    let report: Report;
    let logged = { phase: "", message: "", at: -Infinity };
    try {
      report = await run(spec, {
        store,
        dryRun: request.dryRun,
        signal,
        job: { id: jobId, trigger },
        ...deps.engine,
        ...(deps.limits ? { limits: deps.limits } : {}),
        onProgress: (event) => {
          request.onProgress?.({ ...event, job: jobId });
          const ms = now() - started;
          // Byte progress comes several times a second: the log gets a line every few seconds,
          // and one for each new phase or data shard, and the last count.
          const same = event.phase === logged.phase && event.message === logged.message;
          const last = event.bytesDone !== undefined && event.bytesDone === event.bytesTotal;
          if (same && !last && ms - logged.at < PROGRESS_LOG_EVERY_MS) return;
          logged = { phase: event.phase, message: event.message, at: ms };
          log("info", event.message, {
            ...fields,
            phase: event.phase,
            bytes: event.bytesDone,
            bytesTotal: event.bytesTotal,
            rate: event.bytesDone === undefined ? undefined : rate(event.bytesDone, ms),
            durationMs: ms,
            ...requests(),
          });
        },
      });
    } catch (e) {
      if (e instanceof JobConflictError && !request.dryRun) {
        // Another job holds the output: an older event of the same key is superseded by it.
        const decided = await fromMarker(await readMarker(store, spec.output)).catch(() =>
          undefined
        );
        if (decided?.status === "superseded") return decided;
      }
      log("error", "job failed", {
        ...fields,
        phase: "failed",
        error: errorFields(e),
        durationMs: now() - started,
        ...requests(),
      });
      throw e;
    }
    const durationMs = now() - started;
    const status: JobStatus = request.dryRun
      ? "dry_run"
      : report.outcome === "converged"
      ? "converged"
      : report.outcome === "already_published"
      ? "already_done"
      : "done";
    log("info", "job finished", {
      ...fields,
      phase: request.dryRun ? "planned" : "done",
      status,
      bytes: report.totals.bytesWritten,
      bytesFromOld: report.totals.bytesFromOld,
      rate: rate(report.totals.bytesWritten, durationMs),
      variables: report.totals.variables,
      warmStarted: report.totals.warmStarted,
      durationMs,
      ...requests(),
    });
    return { jobId, status, report };
  }

  /** A distributed job's execution, or undefined when the job runs here. */
  async function handOver(
    jobId: string,
    request: JobRequest,
    store: Store,
    signal: AbortSignal,
    fields: Record<string, unknown>,
  ): Promise<JobOutcome | undefined> {
    const sfn = deps.distributed;
    if (request.distributed === true && sfn === undefined) {
      throw new UsageError(
        "distributed jobs need Step Functions: set WARM_START_STATE_MACHINE_ARN and " +
          "WARM_START_QUEUE_URL (README.md, Step Functions)",
        "distributed",
      );
    }
    if (sfn === undefined || request.distributed === false) return undefined;
    let size: number | undefined;
    if (request.distributed !== true) {
      if (sfn.config.minBytes === undefined) return undefined;
      const plan = await run(request.spec, {
        store,
        dryRun: true,
        signal,
        job: { id: jobId, trigger: request.trigger },
        ...deps.engine,
        ...(deps.limits ? { limits: deps.limits } : {}),
      });
      size = plan.totals.bytesWritten;
      if (size <= sfn.config.minBytes) return undefined;
    }
    const execution = await sfn.start(request.spec, jobId, {
      ...(request.taskBytes !== undefined ? { taskBytes: request.taskBytes } : {}),
      trigger: request.trigger,
    });
    log("info", "job handed to Step Functions", {
      ...fields,
      phase: "distributed",
      executionArn: execution.executionArn,
      executionStatus: execution.status,
      attempt: execution.attempt,
      ...(size !== undefined ? { bytesTotal: size } : {}),
    });
    return { jobId, status: "distributed", execution };
  }

  /**
   * Runs one job in a slot with its deadline: answers as soon as the job is aborted (deadline,
   * caller, shutdown) even if the engine is still unwinding (its store refuses every further
   * call but deletes, so it only cleans up).
   */
  async function admitted(jobId: string, request: JobRequest): Promise<JobOutcome> {
    closing.signal.throwIfAborted();
    const waiting = request.signal
      ? AbortSignal.any([request.signal, closing.signal])
      : closing.signal;
    const release = request.queue ? await slots.wait(waiting) : slots.take();
    const controller = new AbortController();
    controllers.add(controller);
    const timer = setTimeout(
      () => controller.abort(new JobTimeoutError(jobTimeoutMs)),
      jobTimeoutMs,
    );
    const onAbort = () => controller.abort(request.signal?.reason);
    request.signal?.addEventListener("abort", onAbort, { once: true });
    if (request.signal?.aborted) onAbort();
    const aborted = new Promise<never>((_, reject) => {
      const fail = () => reject(controller.signal.reason);
      if (controller.signal.aborted) fail();
      else controller.signal.addEventListener("abort", fail, { once: true });
    });
    aborted.catch(() => {});
    try {
      return await Promise.race([execute(jobId, request, controller.signal), aborted]);
    } finally {
      clearTimeout(timer);
      request.signal?.removeEventListener("abort", onAbort);
      controllers.delete(controller);
      release();
    }
  }

  return {
    runJob(request) {
      const jobId = jobIdOf(request.spec);
      const key = `${jobId}:${request.dryRun ? "plan" : "run"}`;
      const running = inFlight.get(key);
      if (running) {
        log("info", "job joined a running instance", { job: jobId, phase: "join" });
        return running;
      }
      const promise = admitted(jobId, request).finally(() => inFlight.delete(key));
      inFlight.set(key, promise);
      return promise;
    },
    get running() {
      return slots.running;
    },
    get queued() {
      return slots.queued;
    },
    admits(request) {
      const key = `${jobIdOf(request.spec)}:${request.dryRun ? "plan" : "run"}`;
      if (inFlight.has(key)) return true;
      if (closing.signal.aborted) return false;
      return slots.running < slots.maxRunning ||
        (request.queue === true && slots.queued < slots.maxQueued);
    },
    abortAll(reason) {
      closing.abort(reason);
      for (const c of controllers) c.abort(reason);
    },
    async idle() {
      while (inFlight.size > 0) {
        await Promise.allSettled([...inFlight.values()]);
      }
    },
  };
}
