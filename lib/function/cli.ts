/**
 * The `warm-start` CLI command: runs one job. On a terminal, stderr shows a progress bar per phase
 * and stdout a short summary (the JSON report with `--json`); off a terminal, or with
 * `--log-format json`, stderr gets JSON log lines (progress every few seconds) and stdout the JSON
 * report. Each error is printed once, with its field, variable and location. The exit code comes
 * from the outcome table. (`inspect` is in cli_inspect.ts.)
 *
 * @module
 */
import { jobStore, type Store } from "../storage/mod.ts";
import { checkSpecAllowed } from "./allow_list.ts";
import type { LogFormat } from "./cli_args.ts";
import { loadConfig } from "./config.ts";
import { createJobRunner, type WarmStartRunner } from "./job_runner.ts";
import { createLogger, type Logger } from "./log.ts";
import { atLevel, parseLogLevel } from "./log_level.ts";
import { errorBody, outcomeOf } from "./outcome.ts";
import { loadSpecFile } from "./spec_file.ts";
import { withTelemetry } from "./telemetry.ts";
import { workerPool } from "./worker_pool.ts";
import { createProgressView, type ProgressView, summarizeReport } from "./terminal_progress.ts";

/** Where the CLI writes, and whether each stream is a terminal (tests inject these). */
export interface CliStreams {
  /** Writes to stdout. */
  out: (text: string) => void;
  /** Writes to stderr. */
  err: (text: string) => void;
  /** stdout is a terminal. */
  outIsTerminal: boolean;
  /** stderr is a terminal. */
  errIsTerminal: boolean;
  /** Terminal width. */
  columns?: number;
}

/** What the CLI commands need. */
export interface CliDeps {
  /** The base store. */
  store: Store;
  /** The engine. */
  run: WarmStartRunner;
  /** Reads one environment variable. */
  env: (name: string) => string | undefined;
  /** Output streams (default: Deno's stdout and stderr). */
  streams?: CliStreams;
  /** The pool worker command (`main.ts worker --stdio`), for `--workers`. */
  workerCommand?: string[];
}

const encoder = new TextEncoder();

/** Deno's stdout and stderr. */
export function denoStreams(): CliStreams {
  let columns: number | undefined;
  try {
    columns = Deno.consoleSize().columns;
  } catch { /* not a terminal */ }
  return {
    out: (t) => Deno.stdout.writeSync(encoder.encode(t)),
    err: (t) => Deno.stderr.writeSync(encoder.encode(t)),
    outIsTerminal: Deno.stdout.isTerminal(),
    errIsTerminal: Deno.stderr.isTerminal(),
    ...(columns ? { columns } : {}),
  };
}

/** The error as text lines: the message, then its field, variable and location. */
export function errorText(e: unknown): string {
  const body = errorBody(e).error;
  const lines = [`error: ${String(body.message).trim()}`];
  if (body.field !== undefined && body.field !== "argv") lines.push(`  field: ${body.field}`);
  if (typeof body.key === "string" && body.key !== "") lines.push(`  variable: ${body.key}`);
  if (body.location !== undefined) lines.push(`  location: ${body.location}`);
  if (body.requestId !== undefined) lines.push(`  request id: ${body.requestId}`);
  if (outcomeOf(e).retryable) lines.push("  a retry may help (exit code 75)");
  return lines.join("\n") + "\n";
}

/**
 * The engine with `--task-bytes` and `--workers`: a split job's tasks run in a pool of worker
 * processes (`--workers K`; with `--task-bytes` alone, one per core; one worker: in-process).
 */
function withSplit(
  deps: CliDeps,
  args: { workers?: number; taskBytes?: number },
): WarmStartRunner {
  // `--task-bytes` alone: one worker per core; neither flag: one pass (faster in one process).
  const cores = navigator.hardwareConcurrency ?? 1;
  const workers = args.workers ?? (args.taskBytes !== undefined ? cores : 1);
  const pool = workers > 1 && deps.workerCommand
    ? workerPool({ workers, command: deps.workerCommand })
    : undefined;
  if (!pool && args.taskBytes === undefined) return deps.run;
  return (spec, options) =>
    deps.run(spec, {
      ...options,
      split: {
        ...(args.taskBytes !== undefined ? { taskBytes: args.taskBytes } : {}),
        ...(pool ? { runTasks: pool } : {}),
      },
    });
}

/**
 * `warm-start --spec FILE [--dry-run] [--json] [--log-format FMT]`: runs one job.
 *
 * @param args the spec file and flags
 * @param deps store, engine, environment, streams
 * @returns the exit code
 */
export async function cliWarmStart(
  args: {
    spec: string;
    dryRun: boolean;
    json?: boolean;
    logFormat?: LogFormat;
    workers?: number;
    taskBytes?: number;
  },
  deps: CliDeps,
): Promise<number> {
  const io = deps.streams ?? denoStreams();
  const format = args.logFormat ?? "auto";
  const jsonLogs = format === "json" || (format === "auto" && !io.errIsTerminal);
  const view: ProgressView | undefined = jsonLogs ? undefined : createProgressView({
    write: io.err,
    live: format === "auto",
    ...(io.columns ? { columns: io.columns } : {}),
  });
  const json = createLogger((line) => io.err(line + "\n"));
  // The runner logs a failed job; the CLI prints that error itself (once, with every detail).
  let failed: Record<string, unknown> = {};
  let verbose = false;
  let log: Logger = (level, msg, fields) => {
    if (fields?.phase === "failed") {
      failed = { job: fields.job, phase: "failed", durationMs: fields.durationMs };
      return;
    }
    if (jsonLogs) json(level, msg, fields);
    else if (level !== "info" && level !== "debug" || verbose) view!.line(`${level}: ${msg}`);
  };
  try {
    const level = parseLogLevel(deps.env("LOG_LEVEL"));
    verbose = level === "debug";
    log = withTelemetry(atLevel(log, level));
    // A local run: no allow-list warning (WARM_START_ALLOWED guards what a server accepts; a
    // person at a shell can already read and write what they name). When set, it still applies.
    const config = loadConfig({ env: deps.env, local: true, cwd: Deno.cwd() });
    // The spec file is the operator's own input (read with the job file cap); everything the
    // job touches goes through the allow-list of the runner's job stores.
    const spec = await loadSpecFile(args.spec, jobStore(deps.store), Deno.cwd(), {
      maxBytes: config.maxBodyBytes,
    });
    checkSpecAllowed(spec, config.allowed);
    const runner = createJobRunner({
      run: withSplit(deps, args),
      store: deps.store,
      log,
      engine: config.engine,
      ...(config.allowed ? { allowed: config.allowed } : {}),
      jobTimeoutMs: config.jobTimeoutMs,
      limits: config.limits,
    });
    const outcome = await runner.runJob({
      spec,
      dryRun: args.dryRun,
      trigger: { source: "cli" },
      ...(view ? { onProgress: (e) => view.event(e) } : {}),
    });
    view?.finish(true);
    const report = outcome.report!;
    if (args.json || !io.outIsTerminal) io.out(JSON.stringify(report, null, 2) + "\n");
    else io.out(summarizeReport(report) + "(the JSON report: add --json)\n");
    if (view && !io.outIsTerminal) io.err(summarizeReport(report));
    return 0;
  } catch (e) {
    view?.finish(false);
    if (jsonLogs) json("error", (e as Error)?.message ?? String(e), { ...failed, ...errorBody(e) });
    else io.err(errorText(e));
    return outcomeOf(e).exitCode;
  }
}
