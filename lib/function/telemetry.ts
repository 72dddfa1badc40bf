/**
 * OpenTelemetry for jobs, through Deno's built-in OTel (`OTEL_DENO=true`; OTLP export configured
 * by the standard `OTEL_*` variables; without it every call here is a no-op). It is not woven
 * through the engine: {@link withTelemetry} wraps the job runner's logger and turns the lines the
 * runner already writes into
 *
 * - a span per job (`warm-start job`), with a child span per phase: `warm-start resolve`,
 *   `warm-start plan`, `warm-start shard` (one per data shard), `warm-start index` (the engine
 *   publishes there: index, state file, marker), `warm-start publish` (when the engine reports
 *   that phase) — each with the bytes written and storage reads made during it;
 * - metrics: `warm_start.jobs` (by outcome and trigger), `warm_start.bytes_written`,
 *   `warm_start.bytes_read`, `warm_start.job.duration` (s), `warm_start.storage.retries` (by
 *   operation), and `warm_start.last_success` (unix time of the last successful run per schedule
 *   and per watch).
 *
 * @module
 */
import { context, metrics, type Span, SpanStatusCode, trace } from "@opentelemetry/api";
import type { Logger } from "./log.ts";

const SCOPE = "warm-start";
const tracer = trace.getTracer(SCOPE);
const meter = metrics.getMeter(SCOPE);

const jobsCounter = meter.createCounter("warm_start.jobs", {
  description: "Jobs by outcome (done, dry_run, failed, already_done, superseded, converged)",
});
const bytesWritten = meter.createCounter("warm_start.bytes_written", {
  description: "Bytes of merged checkpoints written",
  unit: "By",
});
const bytesRead = meter.createCounter("warm_start.bytes_read", {
  description: "Bytes read from storage by jobs",
  unit: "By",
});
const duration = meter.createHistogram("warm_start.job.duration", {
  description: "Wall time of jobs",
  unit: "s",
});
const retries = meter.createCounter("warm_start.storage.retries", {
  description: "Storage requests retried after a transient fault",
});
const lastSuccess = meter.createGauge("warm_start.last_success", {
  description: "Unix time of the last successful job per schedule and per watch",
  unit: "s",
});

const PHASE_SPANS: Record<string, string> = {
  resolve: "warm-start resolve",
  plan: "warm-start plan",
  "write-data": "warm-start shard",
  "write-index": "warm-start index",
  publish: "warm-start publish",
};

interface PhaseState {
  span: Span;
  key: string;
  bytes: number;
  reads: number;
  bytesRead: number;
}

interface JobState {
  span: Span;
  phase?: PhaseState;
  bytes: number;
  reads: number;
  bytesRead: number;
}

type Fields = Record<string, unknown>;

const num = (v: unknown, fallback = 0) => (typeof v === "number" ? v : fallback);

function endPhase(job: JobState, error?: string): void {
  const p = job.phase;
  if (!p) return;
  p.span.setAttributes({
    "warm_start.bytes": job.bytes - p.bytes,
    "warm_start.storage.reads": job.reads - p.reads,
    "warm_start.storage.bytes_read": job.bytesRead - p.bytesRead,
  });
  if (error) p.span.setStatus({ code: SpanStatusCode.ERROR, message: error });
  p.span.end();
  job.phase = undefined;
}

function triggerAttrs(f: Fields): Record<string, string> {
  return {
    trigger: String(f.trigger ?? "unknown"),
    ...(typeof f.schedule === "string" ? { schedule: f.schedule } : {}),
    ...(typeof f.watch === "string" ? { watch: f.watch } : {}),
  };
}

function succeeded(f: Fields): void {
  const at = Date.now() / 1000;
  if (typeof f.schedule === "string") lastSuccess.record(at, { schedule: f.schedule });
  if (typeof f.watch === "string") lastSuccess.record(at, { watch: f.watch });
}

/**
 * Wraps the job runner's logger: every line is passed on unchanged, and job lines also become
 * spans and metrics (see module doc).
 *
 * @param log the logger the lines go to
 * @returns the logger to give the job runner
 */
export function withTelemetry(log: Logger): Logger {
  const jobs = new Map<string, JobState>();
  return (level, msg, fields = {}) => {
    try {
      observe(jobs, msg, fields);
    } catch { /* telemetry never fails a job */ }
    log(level, msg, fields);
  };
}

function observe(jobs: Map<string, JobState>, msg: string, f: Fields): void {
  if (msg === "storage retry") {
    retries.add(1, { op: String(f.op ?? "unknown") });
    return;
  }
  const id = typeof f.job === "string" ? f.job : undefined;
  if (id === undefined) return;
  if (msg === "job skipped") {
    jobsCounter.add(1, { outcome: String(f.phase), ...triggerAttrs(f) });
    if (f.phase === "already_done") succeeded(f);
    return;
  }
  if (f.phase === "start") {
    const span = tracer.startSpan("warm-start job", {
      attributes: {
        "warm_start.job": id,
        "warm_start.output": String(f.output ?? ""),
        "warm_start.dry_run": f.dryRun === true,
        ...Object.fromEntries(
          Object.entries(triggerAttrs(f)).map(([k, v]) => [`warm_start.${k}`, v]),
        ),
      },
    });
    jobs.set(id, { span, bytes: 0, reads: 0, bytesRead: 0 });
    return;
  }
  const job = jobs.get(id);
  if (!job) return;
  job.bytes = num(f.bytes, job.bytes);
  job.reads = num(f.reads, job.reads);
  job.bytesRead = num(f.bytesRead, job.bytesRead);
  const phaseName = PHASE_SPANS[String(f.phase)];
  if (phaseName) {
    // A new phase, or a new data shard (its own span), ends the running one.
    const key = f.phase === "write-data" ? `${f.phase}:${msg}` : String(f.phase);
    if (job.phase?.key === key) return;
    endPhase(job);
    const span = tracer.startSpan(phaseName, {
      attributes: f.phase === "write-data"
        ? { "warm_start.shard": msg.replace(/^writing /, "") }
        : {},
    }, trace.setSpan(context.active(), job.span));
    job.phase = { span, key, bytes: job.bytes, reads: job.reads, bytesRead: job.bytesRead };
    return;
  }
  const finish = (outcome: string, error?: string) => {
    endPhase(job, error);
    job.span.setAttributes({
      "warm_start.outcome": outcome,
      "warm_start.bytes": job.bytes,
      "warm_start.storage.reads": job.reads,
      "warm_start.storage.bytes_read": job.bytesRead,
    });
    if (error) job.span.setStatus({ code: SpanStatusCode.ERROR, message: error });
    else job.span.setStatus({ code: SpanStatusCode.OK });
    job.span.end();
    jobs.delete(id);
    const attrs = { outcome, ...triggerAttrs(f) };
    jobsCounter.add(1, attrs);
    duration.record(num(f.durationMs) / 1000, attrs);
    bytesRead.add(job.bytesRead);
  };
  if (msg === "job finished") {
    const dry = f.phase === "planned";
    job.span.setAttributes({
      "warm_start.variables": num(f.variables),
      "warm_start.warm_started": num(f.warmStarted),
      "warm_start.bytes_from_old": num(f.bytesFromOld),
    });
    const outcome = typeof f.status === "string" ? f.status : dry ? "dry_run" : "done";
    finish(outcome);
    if (outcome === "done") bytesWritten.add(job.bytes);
    if (!dry) succeeded(f);
  } else if (f.phase === "failed") {
    const e = (f.error ?? {}) as { name?: string; message?: string; code?: string };
    job.span.setAttributes({
      "error.type": String(e.code ?? e.name ?? "Error"),
    });
    finish("failed", String(e.message ?? "failed"));
  } else if (msg.startsWith("lost publish race")) {
    finish("converged");
  }
}
