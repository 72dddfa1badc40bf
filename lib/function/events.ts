/**
 * Processes an S3 event notification: parse the records, resolve each to a job, start the jobs
 * (or wait for them), and say per record what happened.
 *
 * Events arrive at least once and out of order. Per object key this keeps the newest trigger
 * seen: an older event is `superseded`, and a newer event for a key whose older job is still
 * running aborts that run (nothing of it is published). Duplicates of one job run once
 * (job_runner.ts), and a finished job is a no-op (its completion marker).
 *
 * @module
 */
import { jobStore, type Store } from "../storage/mod.ts";
import type { FunctionConfig } from "./config.ts";
import { resolveEventJob } from "./event_jobs.ts";
import { jobIdOf } from "../warmstart/mod.ts";
import { outcomeOf } from "./outcome.ts";
import type { JobRunner, JobStatus } from "./job_runner.ts";
import type { Logger } from "./log.ts";
import { parseNotification } from "./s3_events.ts";
import { compareTriggers, type TriggerInfo } from "./trigger.ts";

/** What happened to one record. */
export interface EventResult {
  /** The event's object (`s3://bucket/key`). */
  location: string;
  /** Event name without `s3:`. */
  eventName: string;
  /** What happened (see README.md, "Triggers"). */
  status: "started" | JobStatus | "ignored" | "superseded" | "waiting" | "refused" | "failed";
  /** Id of the job the event named. */
  jobId?: string;
  /** Why it was skipped, refused or failed. */
  reason?: string;
  /** For failures: whether the sender should deliver the event again later. */
  retryable?: boolean;
}

/** The answer to one notification. */
export interface EventsOutcome {
  /** One entry per object event. */
  results: EventResult[];
  /** Parts of the body that carried no object event (test events, deletes). */
  ignored: string[];
  /** True when a failed record should be retried (the HTTP layer then answers 503). */
  retryable: boolean;
}

/** Dependencies of {@link createEventProcessor}. */
export interface EventProcessorDeps {
  /** Where job files and checkpoints are read. */
  store: Store;
  /** Allow-list, job file name and watch rules. */
  config: Pick<FunctionConfig, "allowed" | "jobFileName" | "watches">;
  /** Runs the jobs idempotently. */
  runner: JobRunner;
  /** Structured log sink. */
  log: Logger;
  /** Most keys remembered for ordering (default 10000). */
  maxKeys?: number;
}

/** Processes notifications; see the module doc. */
export interface EventProcessor {
  /** `wait`: run the jobs to completion before answering; otherwise start them and answer. */
  process(body: unknown, options?: { wait?: boolean }): Promise<EventsOutcome>;
}

interface LedgerEntry {
  trigger: TriggerInfo;
  jobId?: string;
  controller?: AbortController;
  /** Settles when this entry's run has finished (successfully or not). */
  settled?: Promise<void>;
}

/** A record's status for an error, from the outcome table. */
function classify(e: unknown): Pick<EventResult, "status" | "reason" | "retryable"> {
  const { eventStatus, retryable } = outcomeOf(e);
  if (eventStatus === "superseded") {
    return { status: "superseded", reason: "a newer event for the same object aborted this run" };
  }
  const reason = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  return { status: eventStatus, reason, retryable };
}

/** Creates an {@link EventProcessor}. */
export function createEventProcessor(deps: EventProcessorDeps): EventProcessor {
  const { store, config, runner, log } = deps;
  const maxKeys = deps.maxKeys ?? 10_000;
  const ledger = new Map<string, LedgerEntry>();

  function remember(key: string, entry: LedgerEntry): void {
    ledger.delete(key);
    ledger.set(key, entry);
    if (ledger.size > maxKeys) ledger.delete(ledger.keys().next().value!);
  }

  return {
    async process(body, options = {}) {
      const { events, ignored } = parseNotification(body);
      for (const reason of ignored) log("info", "notification part ignored", { reason });
      const results: EventResult[] = [];
      const pending: Array<Promise<void>> = [];
      for (const event of events) {
        const base = { location: event.location, eventName: event.eventName };
        let resolved;
        try {
          resolved = await resolveEventJob(event, { store: jobStore(store), config });
        } catch (e) {
          const result = { ...base, ...classify(e) };
          log("warn", "event refused", {
            event: base,
            status: result.status,
            reason: result.reason,
          });
          results.push(result);
          continue;
        }
        if (resolved.kind !== "job") {
          results.push({ ...base, status: resolved.kind, reason: resolved.reason });
          log("info", "event skipped", {
            event: base,
            status: resolved.kind,
            reason: resolved.reason,
          });
          continue;
        }
        const { spec, trigger } = resolved;
        const jobId = jobIdOf(spec);
        const seen = ledger.get(event.location);
        if (seen && compareTriggers(trigger, seen.trigger) < 0) {
          results.push({ ...base, status: "superseded", jobId, reason: "a newer event was seen" });
          log("info", "event superseded", { job: jobId, event: base, phase: "superseded" });
          continue;
        }
        // A newer event aborts the older run of another job for this key, and waits until that
        // run has cleaned up, so the two never write the same objects at once.
        let previous: Promise<void> = Promise.resolve();
        if (seen?.controller && seen.jobId !== jobId) {
          seen.controller.abort();
          previous = seen.settled ?? previous;
        }
        const controller = new AbortController();
        const result: EventResult = { ...base, status: "started", jobId };
        results.push(result);
        const job = previous.then(() => runner.runJob({ spec, trigger, signal: controller.signal }))
          .then(
            (outcome) => {
              result.status = outcome.status;
            },
            (e) => {
              Object.assign(result, classify(controller.signal.aborted ? abortError() : e));
              log("error", "event job failed", { job: jobId, event: base, reason: result.reason });
            },
          ).finally(() => {
            const entry = ledger.get(event.location);
            if (entry?.controller === controller) entry.controller = undefined;
          });
        remember(event.location, { trigger, jobId, controller, settled: job });
        pending.push(job);
      }
      if (options.wait) await Promise.all(pending);
      const retryable = results.some((r) => r.status === "failed" && r.retryable === true);
      return { results, ignored, retryable };
    },
  };
}

function abortError(): DOMException {
  return new DOMException("superseded", "AbortError");
}
