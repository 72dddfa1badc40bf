/**
 * Runs jobs idempotently around the engine (`runWarmStart`):
 *
 * - a finished job (completion marker with the same job id) is a cheap no-op: `already_done`;
 * - an older event for an output a newer event already produced is `superseded`;
 * - the same job started twice in this instance runs once (the second caller joins the first);
 * - across instances the engine's create-only final writes decide; the loser sees
 *   PreconditionFailedError, finds the winner's output and answers `already_done`/`converged`.
 *
 * Every job logs structured lines (job, phase, bytes, rate, durationMs).
 *
 * @module
 */
import { type JobStore, jobStore, PreconditionFailedError, type Store } from "../storage/mod.ts";
import type { JobSpec, ProgressEvent, Report, RunOptions } from "../warmstart/mod.ts";
import { JobConflictError } from "./errors.ts";
import { jobIdOf } from "./job_id.ts";
import type { Logger } from "./log.ts";
import { type CompletionMarker, readMarker, writeMarker } from "./marker.ts";
import { compareTriggers, type TriggerInfo } from "./trigger.ts";

/** The engine's signature (`runWarmStart`), injectable for tests. */
export type WarmStartRunner = (spec: JobSpec, options: RunOptions) => Promise<Report>;

/** What a job run amounted to. */
export type JobStatus = "done" | "dry_run" | "already_done" | "superseded" | "converged";

/** The result of {@link JobRunner.runJob}. */
export interface JobOutcome {
  /** Hash of the canonical spec. */
  jobId: string;
  /** What the run amounted to. */
  status: JobStatus;
  /** The report: fresh (done, dry_run), from the marker (already_done), or a plan (converged). */
  report?: Report;
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
  /** How long a loser of a publish race waits for the winner's marker (ms, default 2000). */
  markerWaitMs?: number;
}

/** Runs jobs; see the module doc. */
export interface JobRunner {
  /** Runs (or joins, or skips) one job. */
  runJob(request: JobRequest): Promise<JobOutcome>;
  /** Number of jobs running now. */
  readonly running: number;
  /** Resolves when no job is running (graceful shutdown, tests). */
  idle(): Promise<void>;
}

function rate(bytes: number, ms: number): number {
  return ms > 0 ? Math.round(bytes / (ms / 1000)) : 0;
}

/** `<prefix>.index` of the NEW checkpoint, whose ETag a marker records. */
function newIndexEtag(store: Store, spec: JobSpec): Promise<string | undefined> {
  return store.stat(`${spec.newCheckpoint}.index`).then((st) => st?.etag);
}

/**
 * What an existing completion marker means for a job: undefined = no marker, go ahead; else
 * already done (same job and inputs), superseded (an older event for the same key), or a
 * conflict (another job published this output).
 *
 * @throws JobConflictError when the output belongs to another job or input version
 */
async function decideFromMarker(
  store: Store,
  jobId: string,
  request: JobRequest,
  marker: CompletionMarker | undefined,
): Promise<JobOutcome | undefined> {
  if (marker === undefined) return undefined;
  const { spec, trigger } = request;
  if (marker.jobId === jobId) {
    const etag = await newIndexEtag(store, spec);
    if (marker.newIndexEtag && etag && marker.newIndexEtag !== etag) {
      throw new JobConflictError(spec.output, "from an earlier version of the NEW checkpoint");
    }
    return { jobId, status: "already_done", report: marker.report };
  }
  if (
    trigger.key !== undefined && marker.trigger?.key === trigger.key &&
    compareTriggers(trigger, marker.trigger) < 0
  ) {
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
  const markerWaitMs = deps.markerWaitMs ?? 2000;
  const inFlight = new Map<string, Promise<JobOutcome>>();

  async function waitForMarker(
    store: JobStore,
    output: string,
  ): Promise<CompletionMarker | undefined> {
    const until = now() + markerWaitMs;
    while (true) {
      const marker = await readMarker(store, output);
      if (marker !== undefined || now() >= until) return marker;
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async function execute(jobId: string, request: JobRequest): Promise<JobOutcome> {
    const { spec, trigger } = request;
    // Every storage call of the job, the runner's own included, goes through one policy stack.
    const store = jobStore(deps.store);
    const fromMarker = (marker: CompletionMarker | undefined) =>
      decideFromMarker(store, jobId, request, marker);
    const started = now();
    const fields = { job: jobId, output: spec.output, trigger: trigger.source };
    if (!request.dryRun) {
      const done = await fromMarker(await readMarker(store, spec.output));
      if (done) {
        log("info", "job skipped", { ...fields, phase: done.status });
        return done;
      }
      if (await store.stat(`${spec.output}.index`)) {
        // Published but not yet marked: another run is finishing, or a foreign checkpoint.
        const decided = await fromMarker(await waitForMarker(store, spec.output));
        if (decided) return decided;
        throw new JobConflictError(spec.output, "without a completion marker");
      }
    }
    log("info", "job started", { ...fields, phase: "start", dryRun: request.dryRun === true });
    const etagBefore = request.dryRun ? undefined : await newIndexEtag(store, spec);
    let report: Report;
    try {
      report = await run(spec, {
        store,
        dryRun: request.dryRun,
        signal: request.signal,
        onProgress: (event) => {
          const ms = now() - started;
          log("info", event.message, {
            ...fields,
            phase: event.phase,
            bytes: event.bytesDone,
            bytesTotal: event.bytesTotal,
            rate: event.bytesDone === undefined ? undefined : rate(event.bytesDone, ms),
            durationMs: ms,
          });
          request.onProgress?.({ ...event, job: jobId });
        },
      });
    } catch (e) {
      if (e instanceof PreconditionFailedError && !request.dryRun) {
        const decided = await fromMarker(await waitForMarker(store, spec.output));
        if (decided) return decided;
        log("warn", "lost publish race; output published by a concurrent run", fields);
        const plan = await run(spec, {
          store: jobStore(deps.store),
          dryRun: true,
          signal: request.signal,
        });
        return { jobId, status: "converged", report: plan };
      }
      log("error", "job failed", {
        ...fields,
        phase: "failed",
        error: { name: (e as Error)?.name, message: (e as Error)?.message },
        durationMs: now() - started,
      });
      throw e;
    }
    const durationMs = now() - started;
    log("info", "job finished", {
      ...fields,
      phase: request.dryRun ? "planned" : "done",
      bytes: report.totals.bytesWritten,
      bytesFromOld: report.totals.bytesFromOld,
      rate: rate(report.totals.bytesWritten, durationMs),
      variables: report.totals.variables,
      warmStarted: report.totals.warmStarted,
      durationMs,
    });
    if (request.dryRun) return { jobId, status: "dry_run", report };
    const marker: CompletionMarker = {
      jobId,
      output: spec.output,
      ...(etagBefore !== undefined ? { newIndexEtag: etagBefore } : {}),
      trigger,
      finishedAt: new Date(now()).toISOString(),
      report,
    };
    if (!await writeMarker(store, marker)) log("info", "marker already written", fields);
    return { jobId, status: "done", report };
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
      const promise = execute(jobId, request).finally(() => inFlight.delete(key));
      inFlight.set(key, promise);
      return promise;
    },
    get running() {
      return inFlight.size;
    },
    async idle() {
      while (inFlight.size > 0) {
        await Promise.allSettled([...inFlight.values()]);
      }
    },
  };
}
