/**
 * Processes an S3 event notification: parse the records, resolve each to a job, start the jobs
 * (or wait for them), and say per record what happened.
 *
 * The work of one request is bounded: at most WARM_START_MAX_EVENT_RECORDS records (more refuse
 * the body with 413), identical records (same object and ETag) are resolved once, records are
 * resolved a few at a time and not at all once the sender has gone, and the jobs run in the
 * background through the runner's bounded queue — the answer (202) comes when every record is
 * resolved, not when its job ends (`?wait=true` waits; each job has its deadline). A malformed
 * record is refused on its own (`refused`) and the others still run, so a sender that retries
 * until it gets a 2xx is not stuck on one bad record; a record the full queue could not take is
 * `failed` with `retryable` (the answer is then 503, so the sender delivers it again).
 *
 * Events arrive at least once and out of order. Per object key this keeps the version storage
 * holds now (trigger.ts), never the event's own `sequencer`: a record whose object was
 * overwritten since is `superseded`, and a record for a newer version of a key whose older job
 * is still running aborts that run (nothing of it is published). Duplicates of one job run once
 * (job_runner.ts), and a finished job is a no-op (its completion marker).
 *
 * @module
 */
import { clip, jobStore, Limiter, type Store } from "../storage/mod.ts";
import type { FunctionConfig } from "./config.ts";
import { resolveEventJob } from "./event_jobs.ts";
import { jobIdOf } from "../warmstart/mod.ts";
import type { JobRunner, JobStatus } from "./job_runner.ts";
import type { Logger } from "./log.ts";
import { outcomeOf, safeText } from "./outcome.ts";
import { type ObjectEvent, parseNotification } from "./s3_events.ts";
import { currentEtag, sameVersion, type TriggerInfo } from "./trigger.ts";

/** What happened to one record. */
export interface EventResult {
  /** The event's object (`s3://bucket/key`), or `Records[i]` for a malformed record. */
  location: string;
  /** Event name without `s3:`. */
  eventName: string;
  /** What happened (see README.md, "Triggers"). */
  status:
    | "started"
    | JobStatus
    | "ignored"
    | "superseded"
    | "duplicate"
    | "waiting"
    | "refused"
    | "failed";
  /** Id of the job the event named. */
  jobId?: string;
  /** Why it was skipped, refused or failed. */
  reason?: string;
  /** For failures: whether the sender should deliver the event again later. */
  retryable?: boolean;
}

/** The answer to one notification. */
export interface EventsOutcome {
  /** One entry per record. */
  results: EventResult[];
  /** Parts of the body that carried no object event (test events, deletes). */
  ignored: string[];
  /** True when a failed record should be delivered again (the HTTP layer then answers 503). */
  retryable: boolean;
}

/** Dependencies of {@link createEventProcessor}. */
export interface EventProcessorDeps {
  /** Where job files and checkpoints are read. */
  store: Store;
  /** Allow-list, job file name, watch rules, job file cap and record limit. */
  config: Pick<
    FunctionConfig,
    "allowed" | "jobFileName" | "watches" | "maxBodyBytes" | "maxEventRecords"
  >;
  /** Runs the jobs idempotently. */
  runner: JobRunner;
  /** Structured log sink. */
  log: Logger;
  /** Most keys remembered for ordering (default 10000). */
  maxKeys?: number;
  /** Records resolved at once (default 8). */
  concurrency?: number;
}

/** Options of {@link EventProcessor.process}. */
export interface ProcessOptions {
  /** Run the jobs to completion before answering. */
  wait?: boolean;
  /** The request's signal: once the sender has gone, no further record is resolved. */
  signal?: AbortSignal;
}

/** Processes notifications; see the module doc. */
export interface EventProcessor {
  /** Resolves every record and starts its job (or waits for them with `wait`). */
  process(body: unknown, options?: ProcessOptions): Promise<EventsOutcome>;
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
    return { status: "superseded", reason: "a newer version of the object aborted this run" };
  }
  const reason = e instanceof Error ? safeText(`${e.name}: ${e.message}`, 1024) : String(e);
  return { status: eventStatus, reason, retryable };
}

/** Records naming the same object and claiming the same version are one. */
function recordKey(event: ObjectEvent): string {
  return `${event.location}\u0000${event.etag ?? ""}`;
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

  /**
   * Resolves one record and starts its job; returns the job's final fields for the record, once
   * it settles, if one started (`result` itself says `started`).
   */
  async function handle(
    event: ObjectEvent,
    result: EventResult,
  ): Promise<{ job: Promise<Partial<EventResult>> } | undefined> {
    const base = { location: event.location, eventName: event.eventName };
    // The allow-list applies to every call of the resolution too.
    const checked = jobStore(store, config.allowed ? { allowed: config.allowed } : {});
    let resolved;
    try {
      resolved = await resolveEventJob(event, { store: checked, config });
    } catch (e) {
      Object.assign(result, classify(e));
      log("warn", "event refused", { event: base, status: result.status, reason: result.reason });
      return;
    }
    if (resolved.kind !== "job") {
      Object.assign(result, { status: resolved.kind, reason: resolved.reason });
      log("info", "event skipped", { event: base, status: resolved.kind, reason: resolved.reason });
      return;
    }
    const { spec, trigger } = resolved;
    const jobId = jobIdOf(spec);
    result.jobId = jobId;
    const seen = ledger.get(event.location);
    if (seen && !sameVersion(trigger, seen.trigger)) {
      // Two versions of one object: storage says which is current (read again now, as the
      // object may have changed while this record was resolved).
      if ((await currentEtag(checked, event.location).catch(() => undefined)) !== trigger.etag) {
        Object.assign(result, { status: "superseded", reason: "a newer version was seen" });
        log("info", "event superseded", { job: jobId, event: base, phase: "superseded" });
        return;
      }
    }
    if (!runner.admits({ spec, queue: true })) {
      Object.assign(result, {
        status: "failed",
        retryable: true,
        reason: "TooManyJobsError: the job queue is full; deliver the event again later",
      });
      log("warn", "event not queued: queue full", { job: jobId, event: base });
      return;
    }
    // A newer version aborts the older run of another job for this key, and waits until that
    // run has cleaned up, so the two never write the same objects at once.
    let previous: Promise<void> | undefined;
    if (seen?.controller && seen.jobId !== jobId) {
      seen.controller.abort();
      previous = seen.settled;
    }
    const controller = new AbortController();
    result.status = "started";
    // Submitted at once (its slot or queue place is taken now, so `admits` stays exact for the
    // next record), unless an aborted older run of this key must clean up first.
    const submit = () => runner.runJob({ spec, trigger, signal: controller.signal, queue: true });
    const job = (previous ? previous.then(submit) : submit())
      .then(
        (outcome): Partial<EventResult> => ({ status: outcome.status }),
        (e): Partial<EventResult> => {
          const failure = classify(controller.signal.aborted ? abortError() : e);
          log("error", "event job failed", { job: jobId, event: base, reason: failure.reason });
          return failure;
        },
      ).finally(() => {
        const entry = ledger.get(event.location);
        if (entry?.controller === controller) entry.controller = undefined;
      });
    remember(event.location, { trigger, jobId, controller, settled: job.then(() => {}) });
    return { job };
  }

  return {
    async process(body, options = {}) {
      const { events, ignored, invalid } = parseNotification(body, {
        maxRecords: config.maxEventRecords,
      });
      for (const reason of ignored) log("info", "notification part ignored", { reason });
      const results: EventResult[] = invalid.map((r) => ({
        location: `Records[${r.index}]`,
        eventName: "",
        status: "refused" as const,
        reason: clip(r.reason, 1024),
        retryable: false,
      }));
      for (const r of invalid) {
        log("warn", "event record refused", { reason: clip(r.reason, 1024) });
      }
      const firstOf = new Map<string, EventResult>();
      const work: Array<[ObjectEvent, EventResult]> = [];
      for (const event of events) {
        const result: EventResult = {
          location: event.location,
          eventName: event.eventName,
          status: "started",
        };
        results.push(result);
        const key = recordKey(event);
        if (firstOf.has(key)) {
          Object.assign(result, {
            status: "duplicate",
            reason: "the same object version appears earlier in this notification",
          });
          continue;
        }
        firstOf.set(key, result);
        work.push([event, result]);
      }
      // Records of one object are resolved in order (a later one may supersede an earlier);
      // different objects a few at a time.
      const limiter = new Limiter(deps.concurrency ?? 8);
      const byKey = new Map<string, Array<[ObjectEvent, EventResult]>>();
      for (const w of work) byKey.set(w[0].location, [...(byKey.get(w[0].location) ?? []), w]);
      const pending: Array<Promise<void>> = [];
      // With `wait`, a record's final status replaces `started`; without, the answer is sent
      // when the records are resolved and the jobs go on.
      await Promise.all([...byKey.values()].map((group) =>
        limiter.run(async () => {
          for (const [event, result] of group) {
            if (options.signal?.aborted) {
              Object.assign(result, {
                status: "failed",
                retryable: true,
                reason: "the sender went away before the record was resolved",
              });
              continue;
            }
            const started = await handle(event, result);
            if (started && options.wait) {
              pending.push(started.job.then((final) => void Object.assign(result, final)));
            }
          }
        })
      ));
      if (options.wait) await Promise.all(pending);
      const retryable = results.some((r) => r.status === "failed" && r.retryable === true);
      return { results, ignored, retryable };
    },
  };
}

function abortError(): DOMException {
  return new DOMException("superseded", "AbortError");
}
