/**
 * The warm-start function: HTTP API (Deno.serve), schedules (Deno.cron) and CLI.
 * HTTP status codes and exit codes are chosen here and nowhere else.
 *
 * ```
 * deno task start [--local]                      # serve on PORT (default 8000)
 * deno task warm-start --spec FILE [--dry-run]   # one job; report on stdout, progress on stderr
 * ```
 *
 * Routes: `GET /healthz`; `POST /v1/warm-start[?dry_run=true]` (body: job spec; with
 * `Accept: application/x-ndjson` progress lines then the report); `POST /v1/events[?wait=true]`
 * (S3 / MinIO / versitygw event notifications). See README.md.
 *
 * @module
 */
import {
  CheckpointError,
  NotFoundError,
  PreconditionFailedError,
  SettingsError,
  StorageError,
} from "./lib/errors.ts";
import { isAuthorized } from "./lib/function/auth.ts";
import { readJsonBody } from "./lib/function/body.ts";
import { parseCommand, USAGE } from "./lib/function/cli_args.ts";
import { type FunctionConfig, loadConfig } from "./lib/function/config.ts";
import {
  ConfigError,
  ForbiddenLocationError,
  JobConflictError,
  PayloadTooLargeError,
  UnauthorizedError,
} from "./lib/function/errors.ts";
import { createEventProcessor } from "./lib/function/events.ts";
import { specFromBody } from "./lib/function/http_spec.ts";
import {
  createJobRunner,
  type JobOutcome,
  type JobRunner,
  type WarmStartRunner,
} from "./lib/function/job_runner.ts";
import { createLogger, type Logger } from "./lib/function/log.ts";
import { NDJSON, ndjsonStream, wantsNdjson } from "./lib/function/ndjson.ts";
import { type CronFn, registerSchedules } from "./lib/function/schedules.ts";
import { loadSpecFile } from "./lib/function/spec_file.ts";
import { checkSpecAllowed } from "./lib/function/allow_list.ts";
import { defaultStore } from "./lib/storage/router.ts";
import type { Store } from "./lib/storage/store.ts";
import type { Report } from "./lib/warmstart/types.ts";

/**
 * The engine (`runWarmStart`), loaded on first use: a cold start that only answers /healthz or
 * refuses a request never loads the checkpoint code, and route tests inject their own engine.
 */
export const runWarmStartLazily: WarmStartRunner = async (spec, options): Promise<Report> => {
  const { runWarmStart } = await import("./lib/warmstart/run.ts");
  return await runWarmStart(spec, options);
};

/** What {@link createHandler} needs; tests inject every part. */
export interface HandlerDeps {
  /** Function configuration (loadConfig). */
  config: FunctionConfig;
  /** Where every location is read and written. */
  store: Store;
  /** The engine (`runWarmStart`). */
  run: WarmStartRunner;
  /** Structured log sink (default: JSON lines on stderr). */
  log?: Logger;
  /** Clock in ms (default Date.now). */
  now?: () => number;
}

/** The request handler, plus its job runner (tests and shutdown wait on `runner.idle()`). */
export type Handler = ((req: Request) => Promise<Response>) & { runner: JobRunner };

/** HTTP status for an error: the only place errors become status codes. */
export function statusFor(error: unknown): number {
  if (error instanceof UnauthorizedError) return 401;
  if (error instanceof ForbiddenLocationError) return 403;
  if (error instanceof PayloadTooLargeError) return 413;
  if (error instanceof SettingsError) return error.kind === "spec" ? 400 : 422;
  if (error instanceof JobConflictError || error instanceof PreconditionFailedError) return 409;
  if (error instanceof StorageError) return error.retryable ? 503 : 502;
  if (error instanceof NotFoundError) return 404;
  if (error instanceof CheckpointError) return 422;
  return 500;
}

/** CLI exit code for an error: 2 for invalid spec or settings (nothing written), else 1. */
export function exitCodeFor(error: unknown): number {
  if (
    error instanceof SettingsError || error instanceof ForbiddenLocationError ||
    error instanceof ConfigError
  ) {
    return 2;
  }
  return 1;
}

/** The JSON error body: `{error: {type, message, field?, retryable?, ...}}`. */
export function errorBody(error: unknown): { error: Record<string, unknown> } {
  const e = error instanceof Error ? error : new Error(String(error));
  const body: Record<string, unknown> = { type: e.name, message: e.message };
  if (e instanceof SettingsError) Object.assign(body, { field: e.field, kind: e.kind });
  if (e instanceof ForbiddenLocationError) {
    Object.assign(body, { field: e.field, location: e.location });
  }
  if (e instanceof StorageError) {
    Object.assign(body, { retryable: e.retryable, location: e.location });
  }
  if (e instanceof CheckpointError) {
    Object.assign(body, { code: e.code, location: e.location, key: e.key, offset: e.offset });
  }
  return { error: body };
}

function json(body: unknown, status = 200, headers: HeadersInit = {}): Response {
  return new Response(JSON.stringify(body, null, 2) + "\n", {
    status,
    headers: { "content-type": "application/json; charset=utf-8", ...headers },
  });
}

function errorResponse(error: unknown): Response {
  const status = statusFor(error);
  const headers: Record<string, string> = status === 401 ? { "www-authenticate": "Bearer" } : {};
  if (status === 503) headers["retry-after"] = "30";
  return json(errorBody(error), status, headers);
}

function jobHeaders(outcome: JobOutcome): Record<string, string> {
  return { "x-warm-start-job": outcome.jobId, "x-warm-start-status": outcome.status };
}

function flagParam(url: URL, name: string): boolean {
  const v = url.searchParams.get(name);
  return v !== null && /^(|1|true|yes)$/i.test(v);
}

/**
 * Builds the HTTP handler. Every route but `/healthz` requires the bearer token.
 *
 * @param deps configuration, store, engine and logger
 */
export function createHandler(deps: HandlerDeps): Handler {
  const { config, store } = deps;
  const log = deps.log ?? createLogger();
  const runner = createJobRunner({ run: deps.run, store, log, now: deps.now });
  const events = createEventProcessor({ store, config, runner, log });

  async function warmStart(req: Request, url: URL): Promise<Response> {
    const spec = specFromBody(await readJsonBody(req, config.maxBodyBytes), config);
    const dryRun = flagParam(url, "dry_run");
    const request = { spec, dryRun, trigger: { source: "http" as const }, signal: req.signal };
    if (!wantsNdjson(req.headers)) {
      const outcome = await runner.runJob(request);
      return json(outcome.report, 200, jobHeaders(outcome));
    }
    const body = ndjsonStream(
      (emit) => runner.runJob({ ...request, onProgress: (p) => emit({ type: "progress", ...p }) }),
      (o) => ({ type: "report", job: o.jobId, status: o.status, report: o.report }),
      (e) => ({ type: "error", status: statusFor(e), ...errorBody(e) }),
    );
    return new Response(body, { status: 200, headers: { "content-type": NDJSON } });
  }

  async function route(req: Request): Promise<Response> {
    const url = new URL(req.url);
    const routes: Record<string, string> = {
      "/healthz": "GET",
      "/v1/warm-start": "POST",
      "/v1/events": "POST",
    };
    const method = routes[url.pathname];
    if (method === undefined) {
      return json({ error: { type: "NotFound", message: "No such route" } }, 404);
    }
    if (req.method !== method && !(method === "GET" && req.method === "HEAD")) {
      return json({ error: { type: "MethodNotAllowed", message: `Use ${method}` } }, 405, {
        allow: method,
      });
    }
    if (url.pathname === "/healthz") return json({ status: "ok", running: runner.running });
    if (!isAuthorized(req.headers, config.token)) throw new UnauthorizedError();
    if (url.pathname === "/v1/warm-start") return await warmStart(req, url);
    const wait = config.eventsWait || flagParam(url, "wait");
    const outcome = await events.process(await readJsonBody(req, config.maxBodyBytes), { wait });
    const status = !wait ? 202 : outcome.retryable ? 503 : 200;
    return json(outcome, status);
  }

  const handler = async (req: Request): Promise<Response> => {
    const started = deps.now?.() ?? Date.now();
    let response: Response;
    try {
      response = await route(req);
    } catch (e) {
      response = errorResponse(e);
      if (response.status >= 500) log("error", "request failed", { error: e });
    }
    log("info", "request", {
      method: req.method,
      path: new URL(req.url).pathname,
      status: response.status,
      durationMs: (deps.now?.() ?? Date.now()) - started,
    });
    return response;
  };
  return Object.assign(handler, { runner });
}

/** `deno task warm-start`: runs one job; returns the exit code. */
export async function cliWarmStart(
  args: { spec: string; dryRun: boolean; local: boolean },
  deps: { store: Store; run: WarmStartRunner; env: (name: string) => string | undefined },
): Promise<number> {
  const log = createLogger();
  try {
    const config = loadConfig({ env: deps.env, local: true, cwd: Deno.cwd() });
    for (const w of config.warnings.filter((w) => w.startsWith("WARM_START_ALLOWED"))) {
      log("warn", w);
    }
    const spec = await loadSpecFile(args.spec, deps.store, Deno.cwd());
    checkSpecAllowed(spec, config.allowed);
    const runner = createJobRunner({ run: deps.run, store: deps.store, log });
    const outcome = await runner.runJob({ spec, dryRun: args.dryRun, trigger: { source: "cli" } });
    console.log(JSON.stringify(outcome.report, null, 2));
    return 0;
  } catch (e) {
    log("error", (e as Error)?.message ?? String(e), errorBody(e));
    return exitCodeFor(e);
  }
}

/** `deno task start`: registers schedules, then serves until SIGINT/SIGTERM. */
export function serve(
  config: FunctionConfig,
  deps: { store: Store; run: WarmStartRunner; cron?: CronFn },
): Deno.HttpServer {
  const log = createLogger();
  for (const w of config.warnings) log("warn", w);
  const handler = createHandler({ config, store: deps.store, run: deps.run, log });
  if (config.schedules.length > 0) {
    if (deps.cron === undefined) {
      log("warn", "Deno.cron is unavailable (run with --unstable-cron); schedules are off");
    } else {registerSchedules(config, {
        cron: deps.cron,
        store: deps.store,
        runner: handler.runner,
        log,
      });}
  }
  const hostname = config.local && config.token === undefined ? "127.0.0.1" : "0.0.0.0";
  const server = Deno.serve({
    port: config.port,
    hostname,
    onListen: ({ port }) => log("info", "listening", { hostname, port, local: config.local }),
  }, handler);
  const stop = async () => {
    log("info", "shutting down; waiting for running jobs", { running: handler.runner.running });
    await server.shutdown();
    await handler.runner.idle();
    Deno.exit(0);
  };
  for (const signal of ["SIGINT", "SIGTERM"] as const) Deno.addSignalListener(signal, stop);
  return server;
}

if (import.meta.main) {
  const env = (name: string) => Deno.env.get(name);
  let command;
  try {
    command = parseCommand(Deno.args);
  } catch (e) {
    console.error((e as Error).message);
    Deno.exit(2);
  }
  if (command.command === "help") {
    console.log(USAGE);
  } else if (command.command === "warm-start") {
    Deno.exit(await cliWarmStart(command, { store: defaultStore(), run: runWarmStartLazily, env }));
  } else {
    let config: FunctionConfig;
    try {
      config = loadConfig({ env, local: command.local, cwd: Deno.cwd() });
    } catch (e) {
      console.error((e as Error).message);
      Deno.exit(2);
    }
    const cron = typeof Deno.cron === "function" ? (Deno.cron as unknown as CronFn) : undefined;
    serve(config, { store: defaultStore(), run: runWarmStartLazily, cron });
  }
}
