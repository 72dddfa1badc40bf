/**
 * The HTTP app: one route table, bearer-token auth on every route but `/healthz`, errors
 * answered from the outcome table. A function from Request to Response that tests call directly.
 *
 * Routes: `GET /healthz`; `POST /v1/warm-start[?dry_run=true]` (body: job spec; with
 * `Accept: application/x-ndjson` progress lines then the report); `POST /v1/events[?wait=true]`
 * (S3 / MinIO / versitygw / R2 event notifications); with Step Functions configured,
 * `POST /v1/warm-start?distributed=1[&task_bytes=N]` (or a top-level `"distributed": true` in the
 * body, removed before the spec is parsed) answers 202 `{jobId, executionArn, status}` and
 * `GET /v1/jobs/<job id>` reports the execution (distributed.ts). See README.md.
 *
 * Local mode without a token (127.0.0.1 only) has no credentials to protect it from the
 * browser on the same machine, so there every request must name this server in `Host` (a
 * loopback name or address with its port: no DNS rebinding), carry no foreign `Origin` (no
 * cross-site request from a web page), and POST bodies must be `application/json` (a form or
 * `text/plain` POST, which browsers send without asking, is 415).
 *
 * @module
 */
import type { SFNClient } from "@aws-sdk/client-sfn";
import type { Store } from "../storage/mod.ts";
import { isAuthorized } from "./auth.ts";
import { sfnClientFromEnv } from "./aws_clients.ts";
import { readJsonBody } from "./body.ts";
import type { FunctionConfig } from "./config.ts";
import { createDistributedJobs, type DistributedJobs } from "./distributed.ts";
import {
  ForbiddenRequestError,
  TooManyJobsError,
  UnauthorizedError,
  UnsupportedMediaTypeError,
  UsageError,
} from "./errors.ts";
import { createEventProcessor } from "./events.ts";
import { specFromBody } from "./http_spec.ts";
import {
  createJobRunner,
  type JobOutcome,
  type JobRunner,
  type WarmStartRunner,
} from "./job_runner.ts";
import { createLogger, type Logger } from "./log.ts";
import { NDJSON, ndjsonStream, wantsNdjson } from "./ndjson.ts";
import { errorBody, outcomeOf } from "./outcome.ts";

/** What {@link createHandler} needs; tests inject every part. */
export interface HandlerDeps {
  /** Function configuration (loadConfig). */
  config: FunctionConfig;
  /** The base store every location is read and written through (each job wraps it). */
  store: Store;
  /** The engine (`runWarmStart`). */
  run: WarmStartRunner;
  /** Structured log sink (default: JSON lines on stderr). */
  log?: Logger;
  /** Clock in ms (default Date.now). */
  now?: () => number;
  /** The port the server listens on, for local mode's Host check (default `config.port`). */
  port?: number;
  /**
   * Step Functions client for `config.distributed` (default: from the environment).
   *
   * @internal an `@aws-sdk/client-sfn` SFNClient
   */
  sfn?: SFNClient;
}

/** The request handler, plus its job runner (tests and shutdown wait on `runner.idle()`). */
export type Handler = ((req: Request) => Promise<Response>) & { runner: JobRunner };

function json(body: unknown, status = 200, headers: HeadersInit = {}): Response {
  return new Response(JSON.stringify(body, null, 2) + "\n", {
    status,
    headers: { "content-type": "application/json; charset=utf-8", ...headers },
  });
}

/** The error answer of a request: status and body from the outcome table. */
export function errorResponse(error: unknown): Response {
  const { status, retryable } = outcomeOf(error);
  const headers: Record<string, string> = status === 401 ? { "www-authenticate": "Bearer" } : {};
  if (retryable && (status === 503 || status === 429)) headers["retry-after"] = "30";
  // A client too slow with its body should not reuse the connection (Deno still drains the
  // declared body before closing: see README "Security" for what the platform does).
  if (status === 408) headers.connection = "close";
  return json(errorBody(error), status, headers);
}

function jobHeaders(outcome: JobOutcome): Record<string, string> {
  return { "x-warm-start-job": outcome.jobId, "x-warm-start-status": outcome.status };
}

function flagParam(url: URL, name: string): boolean {
  const v = url.searchParams.get(name);
  return v !== null && /^(|1|true|yes)$/i.test(v);
}

/** `?name=1|0` as true/false, absent as undefined. */
function optionalFlag(url: URL, name: string): boolean | undefined {
  const v = url.searchParams.get(name);
  if (v === null) return undefined;
  if (/^(|1|true|yes)$/i.test(v)) return true;
  if (/^(0|false|no)$/i.test(v)) return false;
  throw new UsageError(`?${name} must be 1 or 0`, name);
}

/**
 * The request's `distributed` choice: `?distributed=` or a top-level `"distributed"` field of the
 * body (removed: it is not a spec field). Returns the body without it.
 */
function distributedChoice(url: URL, json: unknown): { body: unknown; distributed?: boolean } {
  let distributed = optionalFlag(url, "distributed");
  let body = json;
  if (typeof json === "object" && json !== null && !Array.isArray(json) && "distributed" in json) {
    const { distributed: field, ...rest } = json as Record<string, unknown>;
    if (typeof field !== "boolean") {
      throw new UsageError('"distributed" must be true or false', "distributed");
    }
    distributed ??= field;
    body = rest;
  }
  return { body, ...(distributed !== undefined ? { distributed } : {}) };
}

function taskBytesParam(url: URL): number | undefined {
  const v = url.searchParams.get("task_bytes");
  if (v === null) return undefined;
  const n = Number(v);
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(n) || n <= 0) {
    throw new UsageError("?task_bytes must be a positive integer", "task_bytes");
  }
  return n;
}

/** Job ids are 16 hex digits (jobIdOf): anything else names no job. */
const JOB_ID = /^[0-9a-f]{16}$/;

/**
 * Local mode's request check (see module docs) for a server on 127.0.0.1:`port`.
 *
 * @param port the listening port
 * @returns a function that throws ForbiddenRequestError / UnsupportedMediaTypeError
 */
export function localRequestCheck(port: number): (req: Request) => void {
  const hosts = new Set(["127.0.0.1", "localhost", "[::1]"].map((h) => `${h}:${port}`));
  const origins = new Set([...hosts].map((h) => `http://${h}`));
  return (req) => {
    // Browsers always send Host (DNS rebinding names the attacker's host there); a request
    // without one is a non-browser client or an in-process call.
    const host = req.headers.get("host")?.toLowerCase();
    if (host !== undefined && !hosts.has(host)) {
      throw new ForbiddenRequestError(
        `Host ${JSON.stringify(host.slice(0, 100))} is not this local server (${[...hosts][0]})`,
      );
    }
    const origin = req.headers.get("origin");
    if (origin !== null && !origins.has(origin.toLowerCase())) {
      throw new ForbiddenRequestError(
        `Origin ${JSON.stringify(origin.slice(0, 100))} may not call the local server`,
      );
    }
    if (req.method === "POST") {
      const type = req.headers.get("content-type");
      const media = (type ?? "").split(";")[0].trim().toLowerCase();
      if (media !== "application/json") throw new UnsupportedMediaTypeError(type);
    }
  };
}

/** One route: its method, whether it needs the token, and its handler. */
interface Route {
  method: "GET" | "POST";
  auth: boolean;
  handle(req: Request, url: URL): Promise<Response>;
}

/**
 * Builds the HTTP handler. Every route but `/healthz` requires the bearer token.
 *
 * @param deps configuration, store, engine and logger
 * @returns the handler (with its job runner)
 */
export function createHandler(deps: HandlerDeps): Handler {
  const { config, store } = deps;
  const log = deps.log ?? createLogger();
  const distributed: DistributedJobs | undefined = config.distributed
    ? createDistributedJobs(config.distributed, deps.sfn ?? sfnClientFromEnv())
    : undefined;
  const runner = createJobRunner({
    run: deps.run,
    store,
    log,
    engine: config.engine,
    ...(deps.now ? { now: deps.now } : {}),
    ...(config.allowed ? { allowed: config.allowed } : {}),
    maxJobs: config.maxJobs,
    maxQueued: config.maxQueued,
    jobTimeoutMs: config.jobTimeoutMs,
    limits: config.limits,
    ...(distributed ? { distributed } : {}),
  });
  const events = createEventProcessor({ store, config, runner, log });
  const body = (req: Request) => readJsonBody(req, config.maxBodyBytes, config.bodyTimeoutMs);
  const checkLocal = config.local && config.token === undefined
    ? localRequestCheck(deps.port ?? config.port)
    : undefined;

  function distributedResponse(outcome: JobOutcome): Response {
    return json(outcome.execution, 202, {
      ...jobHeaders(outcome),
      location: `/v1/jobs/${outcome.jobId}`,
    });
  }

  async function warmStart(req: Request, url: URL): Promise<Response> {
    const choice = distributedChoice(url, await body(req));
    const spec = specFromBody(choice.body, config);
    const dryRun = flagParam(url, "dry_run");
    const taskBytes = taskBytesParam(url);
    const request = {
      spec,
      dryRun,
      trigger: { source: "http" as const },
      signal: req.signal,
      ...(choice.distributed !== undefined ? { distributed: choice.distributed } : {}),
      ...(taskBytes !== undefined ? { taskBytes } : {}),
    };
    if (!wantsNdjson(req.headers) || (choice.distributed === true && !dryRun)) {
      const outcome = await runner.runJob(request);
      if (outcome.status === "distributed") return distributedResponse(outcome);
      return json(outcome.report, 200, jobHeaders(outcome));
    }
    // Admission is decided before the 200 of the stream: a full server answers 429.
    if (!runner.admits(request)) throw new TooManyJobsError(config.maxJobs);
    const stream = ndjsonStream(
      (emit) => runner.runJob({ ...request, onProgress: (p) => emit({ type: "progress", ...p }) }),
      (o) => ({
        type: "report",
        job: o.jobId,
        status: o.status,
        ...(o.execution ? { execution: o.execution } : { report: o.report }),
      }),
      (e) => ({ type: "error", status: outcomeOf(e).status, ...errorBody(e) }),
    );
    return new Response(stream, { status: 200, headers: { "content-type": NDJSON } });
  }

  async function notifications(req: Request, url: URL): Promise<Response> {
    const wait = config.eventsWait || flagParam(url, "wait");
    const outcome = await events.process(await body(req), { wait, signal: req.signal });
    const status = outcome.retryable ? 503 : wait ? 200 : 202;
    return json(outcome, status, status === 503 ? { "retry-after": "30" } : {});
  }

  async function jobStatus(_req: Request, url: URL): Promise<Response> {
    const id = url.pathname.slice("/v1/jobs/".length);
    const info = distributed && JOB_ID.test(id) ? await distributed.status(id) : undefined;
    if (info === undefined) {
      const message = distributed
        ? "No distributed job with this id"
        : "Step Functions is not configured (WARM_START_STATE_MACHINE_ARN)";
      return json({ error: { type: "NotFound", message } }, 404);
    }
    return json(info, 200, { "x-warm-start-job": id, "x-warm-start-status": info.status });
  }

  const routes: Record<string, Route> = {
    "/healthz": {
      method: "GET",
      auth: false,
      handle: () =>
        Promise.resolve(json({ status: "ok", running: runner.running, queued: runner.queued })),
    },
    "/v1/warm-start": { method: "POST", auth: true, handle: warmStart },
    "/v1/events": { method: "POST", auth: true, handle: notifications },
    // `/v1/jobs/<job id>`: routed by prefix.
    "/v1/jobs/": { method: "GET", auth: true, handle: jobStatus },
  };

  async function route(req: Request): Promise<Response> {
    const url = new URL(req.url);
    const path = url.pathname.startsWith("/v1/jobs/") ? "/v1/jobs/" : url.pathname;
    const r = Object.hasOwn(routes, path) ? routes[path] : undefined;
    if (r === undefined) {
      return json({ error: { type: "NotFound", message: "No such route" } }, 404);
    }
    if (req.method !== r.method && !(r.method === "GET" && req.method === "HEAD")) {
      return json({ error: { type: "MethodNotAllowed", message: `Use ${r.method}` } }, 405, {
        allow: r.method,
      });
    }
    checkLocal?.(req);
    if (r.auth && !isAuthorized(req.headers, config.token)) throw new UnauthorizedError();
    return await r.handle(req, url);
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
