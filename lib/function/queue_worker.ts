/**
 * The Step Functions worker: long-polls an SQS queue for the messages the state machine
 * (deploy/step_functions/warm_start.asl.json) sends with `sqs:sendMessage.waitForTaskToken`, runs
 * each one's operation (`runJobOp`: plan, task, commit, abort), and answers the state machine:
 *
 * - the body is a {@link JobMessage} plus `taskToken`; a body that is not one (not JSON, an
 *   unknown op, a wrong field) is answered `SendTaskFailure` with {@link ERROR_INVALID_MESSAGE}
 *   (no retry helps) when it carries a token, and deleted either way: never a crash;
 * - while the operation runs the worker sends `SendTaskHeartbeat` every `heartbeatMs` and extends
 *   the message's visibility; when Step Functions refuses the heartbeat (the task timed out and
 *   was retried elsewhere, the execution stopped) the operation is aborted and not answered;
 * - success: `SendTaskSuccess` with a small JSON output (a large report is summarised, see
 *   {@link taskOutput}); failure: `SendTaskFailure` with {@link ERROR_RETRYABLE} when a retry may
 *   help (outcome.ts: exit code 75) — the state machine's `Retry` matches it — else
 *   {@link ERROR_FAILED}; the cause is the JSON error body;
 * - the message is deleted once answered (an answer that could not be delivered leaves it to
 *   reappear after its visibility timeout: the operations are idempotent, so a duplicate or a
 *   rerun is harmless).
 *
 * The loop ends when `signal` aborts (a running operation is answered `WarmStart.Retryable` so
 * another worker takes it at once) or, for tests, after `maxIdlePolls` empty polls in a row.
 *
 * @module
 */
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import {
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  type SFNClient,
} from "@aws-sdk/client-sfn";
import { ObjectChangedError, parseAllowList, type Store } from "../storage/mod.ts";
import {
  DEFAULT_LIMITS,
  type InputLimits,
  type JobMessage,
  type JobOpOptions,
  runJobOp,
  type Tuning,
} from "../warmstart/mod.ts";
import { type EnvFn, sfnClientFromEnv, sqsClientFromEnv } from "./aws_clients.ts";
import { ConfigError } from "./errors.ts";
import { createLogger, type Logger } from "./log.ts";
import { errorBody, outcomeOf, safeText } from "./outcome.ts";

/** Error name of a failure a retry may fix (the state machine's `Retry` matches it). */
export const ERROR_RETRYABLE = "WarmStart.Retryable";
/** Error name of a failure no retry fixes (bad input, a conflict, a corrupt checkpoint). */
export const ERROR_FAILED = "WarmStart.Failed";
/**
 * Error name of a task, commit or abort whose pinned input changed since the plan: the plan is
 * stale, so no retry of the operation helps (a new execution plans again). A plan that meets a
 * changing input is retryable instead.
 */
export const ERROR_INPUT_CHANGED = "WarmStart.InputChanged";
/** Error name of a message that is not a valid operation (no retry fixes it). */
export const ERROR_INVALID_MESSAGE = "WarmStart.InvalidMessage";

/** Largest message body the worker reads (SQS's own limit). */
const MAX_BODY_CHARS = 256 * 1024;
/** Longest task token accepted (Step Functions' limit). */
const MAX_TOKEN_CHARS = 2048;
/** Longest job location accepted. */
const MAX_JOB_CHARS = 4096;
/** Outputs are kept well under Step Functions' 256 KiB state limit (the state holds more). */
export const MAX_OUTPUT_CHARS = 64 * 1024;
/** Step Functions' cap on a failure's cause. */
const MAX_CAUSE_CHARS = 32_000;

/** The operation runner (runJobOp); injectable for tests of the plumbing. */
export type JobOpRunner = (message: JobMessage, options: JobOpOptions) => Promise<unknown>;

/** Options of {@link runQueueWorker}. */
export interface QueueWorkerOptions {
  /** The SQS queue the state machine sends to. */
  queueUrl: string;
  /** The base store (default: the one main.ts builds, `defaultStore()`). */
  store: Store;
  /** Environment (endpoints, region, credentials, WARM_START_* settings); default Deno.env. */
  env?: EnvFn;
  /** Stops the loop; a running operation is aborted and answered `WarmStart.Retryable`. */
  signal?: AbortSignal;
  /** Stop after this many empty polls in a row (tests); default: never. */
  maxIdlePolls?: number;
  /** ReceiveMessage long-poll seconds (default 20, SQS's maximum). */
  waitTimeSeconds?: number;
  /** Heartbeat period in ms (WARM_START_WORKER_HEARTBEAT_MS, default 30 s). */
  heartbeatMs?: number;
  /** Visibility each heartbeat extends a message by, s (WARM_START_WORKER_VISIBILITY_S, 300). */
  visibilitySeconds?: number;
  /** Messages run at once (WARM_START_WORKER_CONCURRENCY, default 1). */
  concurrency?: number;
  /** Structured log sink (default JSON lines on stderr). */
  log?: Logger;
  /** The operation runner (default runJobOp). */
  runOp?: JobOpRunner;
  /** Clients (default: from `env`). */
  sqs?: SQSClient;
  sfn?: SFNClient;
}

/** What a worker did. */
export interface QueueWorkerStats {
  /** Messages received. */
  received: number;
  /** Answered SendTaskSuccess. */
  succeeded: number;
  /** Answered SendTaskFailure (the operation failed). */
  failed: number;
  /** Invalid bodies (answered when they had a token; deleted). */
  invalid: number;
  /** Operations Step Functions gave up on while they ran (heartbeat refused): not answered. */
  abandoned: number;
}

/** A message that is not a valid operation. */
export class InvalidMessageError extends Error {
  /** Stable machine-readable tag of the class. */
  readonly code: string = "invalid_message";

  /**
   * Creates the error.
   *
   * @param message what is wrong
   */
  constructor(message: string) {
    super(message);
    this.name = "InvalidMessageError";
  }
}

/** A parsed message body. */
export interface ParsedBody {
  /** The task token, when the body has a usable one. */
  taskToken?: string;
  /** The operation, or the reason the body is not one. */
  message?: JobMessage;
  error?: InvalidMessageError;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function checkKeys(body: Record<string, unknown>, allowed: readonly string[]): void {
  for (const key of Object.keys(body)) {
    if (!allowed.includes(key)) {
      throw new InvalidMessageError(`unknown field ${JSON.stringify(safeText(key, 100))}`);
    }
  }
}

function jobField(body: Record<string, unknown>): string {
  const job = body.job;
  if (typeof job !== "string" || job === "" || job.length > MAX_JOB_CHARS) {
    throw new InvalidMessageError(`"job" must be a location string of 1..${MAX_JOB_CHARS} chars`);
  }
  return job;
}

function toMessage(body: Record<string, unknown>): JobMessage {
  const common = ["op", "taskToken"];
  switch (body.op) {
    case "plan": {
      checkKeys(body, [...common, "spec", "taskBytes", "trigger"]);
      if (!isRecord(body.spec)) throw new InvalidMessageError('"spec" must be a JSON object');
      const taskBytes = body.taskBytes;
      if (
        taskBytes !== undefined && taskBytes !== null &&
        !(Number.isSafeInteger(taskBytes) && (taskBytes as number) > 0)
      ) {
        throw new InvalidMessageError('"taskBytes" must be a positive integer or null');
      }
      return {
        op: "plan",
        spec: body.spec,
        ...(typeof taskBytes === "number" ? { taskBytes } : {}),
        ...(body.trigger !== undefined && body.trigger !== null ? { trigger: body.trigger } : {}),
      };
    }
    case "task": {
      checkKeys(body, [...common, "job", "task"]);
      const task = body.task;
      if (!Number.isSafeInteger(task) || (task as number) < 0) {
        throw new InvalidMessageError('"task" must be a non-negative integer');
      }
      return { op: "task", job: jobField(body), task: task as number };
    }
    case "commit":
      checkKeys(body, [...common, "job"]);
      return { op: "commit", job: jobField(body) };
    case "abort": {
      checkKeys(body, [...common, "job", "error"]);
      const error = body.error;
      if (error !== undefined && error !== null && typeof error !== "string") {
        throw new InvalidMessageError('"error" must be a string');
      }
      return {
        op: "abort",
        job: jobField(body),
        ...(typeof error === "string" ? { error: safeText(error, 4096) } : {}),
      };
    }
    default:
      throw new InvalidMessageError(
        `"op" must be one of plan, task, commit, abort (got ${
          safeText(JSON.stringify(body.op) ?? "nothing", 100)
        })`,
      );
  }
}

/**
 * Parses an SQS message body: never throws.
 *
 * @param text the body
 * @returns the token (when usable) and the operation or why there is none
 */
export function parseMessageBody(text: string | undefined): ParsedBody {
  if (text === undefined || text.length > MAX_BODY_CHARS) {
    return { error: new InvalidMessageError("empty or oversized body") };
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { error: new InvalidMessageError("the body is not JSON") };
  }
  if (!isRecord(body)) return { error: new InvalidMessageError("the body is not a JSON object") };
  const token = body.taskToken;
  const taskToken = typeof token === "string" && token.length > 0 &&
      token.length <= MAX_TOKEN_CHARS
    ? token
    : undefined;
  try {
    if (taskToken === undefined) {
      throw new InvalidMessageError(`"taskToken" must be a string of 1..${MAX_TOKEN_CHARS} chars`);
    }
    return { taskToken, message: toMessage(body) };
  } catch (e) {
    return { ...(taskToken ? { taskToken } : {}), error: e as InvalidMessageError };
  }
}

/**
 * The SendTaskSuccess output of an operation's result: its JSON, or for a report larger than
 * {@link MAX_OUTPUT_CHARS} a summary (output, outcome, totals, requests, the first warnings,
 * `truncated: true`; the full report is published with the checkpoint).
 *
 * @param result what runJobOp answered
 * @returns JSON text
 */
export function taskOutput(result: unknown): string {
  const text = JSON.stringify(result ?? {});
  if (text.length <= MAX_OUTPUT_CHARS) return text;
  const r = isRecord(result) ? result : {};
  const summary = {
    truncated: true,
    ...(typeof r.output === "string" ? { output: r.output } : {}),
    ...(r.outcome !== undefined ? { outcome: r.outcome } : {}),
    ...(isRecord(r.totals) ? { totals: r.totals } : {}),
    ...(isRecord(r.requests) ? { requests: r.requests } : {}),
    ...(Array.isArray(r.variables) ? { variableCount: r.variables.length } : {}),
    ...(Array.isArray(r.warnings)
      ? { warnings: r.warnings.slice(0, 10).map((w) => safeText(String(w), 1000)) }
      : {}),
  };
  const out = JSON.stringify(summary);
  return out.length <= MAX_OUTPUT_CHARS ? out : JSON.stringify({ truncated: true });
}

/**
 * The error name and cause a failed operation is answered with.
 *
 * @param error what the operation threw
 * @param op the operation
 * @returns SendTaskFailure's error and cause
 */
export function failureOf(
  error: unknown,
  op: JobMessage["op"],
): { error: string; cause: string } {
  const outcome = outcomeOf(error);
  const cause = JSON.stringify({ ...errorBody(error).error, status: outcome.status });
  const changed = error instanceof ObjectChangedError && op !== "plan";
  return {
    error: changed ? ERROR_INPUT_CHANGED : outcome.retryable ? ERROR_RETRYABLE : ERROR_FAILED,
    cause: cause.length <= MAX_CAUSE_CHARS ? cause : cause.slice(0, MAX_CAUSE_CHARS),
  };
}

/** Step Functions refused the token: the task timed out, was retried, or its execution ended. */
function tokenRefused(e: unknown): boolean {
  const err = e as { name?: string; $metadata?: { httpStatusCode?: number } };
  if (["TaskTimedOut", "InvalidToken", "TaskDoesNotExist"].includes(err.name ?? "")) return true;
  const status = err.$metadata?.httpStatusCode;
  return status !== undefined && status >= 400 && status < 500;
}

/** The operation was abandoned: Step Functions no longer waits for it. */
class AbandonedError extends Error {
  constructor(cause: unknown) {
    super("Step Functions refused the heartbeat: the task was given up", { cause });
    this.name = "AbandonedError";
  }
}

/** The worker is stopping: another worker should run the operation. */
class WorkerStoppingError extends Error {
  constructor() {
    super("the worker is shutting down; the operation will run on another worker");
    this.name = "WorkerStoppingError";
  }
}

function positiveInt(env: EnvFn, name: string, fallback: number): number {
  const v = env(name);
  if (v === undefined || v.trim() === "") return fallback;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n <= 0) {
    throw new ConfigError(name, "expected a positive integer");
  }
  return n;
}

/** The engine options a worker takes from its environment (as the server does). */
function engineFromEnv(env: EnvFn): Pick<JobOpOptions, "allowed" | "tuning" | "limits"> {
  const allowedRaw = env("WARM_START_ALLOWED");
  let allowed: string[] | undefined;
  if (allowedRaw !== undefined && allowedRaw.trim() !== "") {
    try {
      allowed = parseAllowList(allowedRaw, Deno.cwd());
    } catch (e) {
      throw new ConfigError("WARM_START_ALLOWED", (e as Error).message);
    }
  }
  const memoryMiB = positiveInt(env, "WARM_START_MEMORY_MIB", 0);
  const limits: InputLimits = {
    maxIndexBytes: positiveInt(env, "WARM_START_MAX_INDEX_BYTES", DEFAULT_LIMITS.maxIndexBytes),
    maxMetaBytes: positiveInt(env, "WARM_START_MAX_META_BYTES", DEFAULT_LIMITS.maxMetaBytes),
  };
  const tuning: Partial<Tuning> | undefined = memoryMiB > 0
    ? { memoryBytes: memoryMiB * 1024 * 1024 }
    : undefined;
  return { ...(allowed ? { allowed } : {}), ...(tuning ? { tuning } : {}), limits };
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}

/**
 * Runs the worker loop until `signal` aborts (or `maxIdlePolls` empty polls in a row).
 *
 * @param options queue, store, environment, signal
 * @returns what the worker did
 * @throws ConfigError for an invalid WARM_START_* setting
 */
export async function runQueueWorker(options: QueueWorkerOptions): Promise<QueueWorkerStats> {
  const env = options.env ?? ((n: string) => Deno.env.get(n));
  const log = options.log ?? createLogger();
  const runOp = options.runOp ?? runJobOp;
  const engine = engineFromEnv(env);
  const heartbeatMs = options.heartbeatMs ??
    positiveInt(env, "WARM_START_WORKER_HEARTBEAT_MS", 30_000);
  const visibility = options.visibilitySeconds ??
    positiveInt(env, "WARM_START_WORKER_VISIBILITY_S", 300);
  const concurrency = options.concurrency ??
    positiveInt(env, "WARM_START_WORKER_CONCURRENCY", 1);
  const waitTimeSeconds = Math.min(20, Math.max(0, options.waitTimeSeconds ?? 20));
  const sqs = options.sqs ?? sqsClientFromEnv(env);
  const sfn = options.sfn ?? sfnClientFromEnv(env);
  const ownClients = options.sqs === undefined || options.sfn === undefined;
  const { queueUrl, signal } = options;
  const stats: QueueWorkerStats = {
    received: 0,
    succeeded: 0,
    failed: 0,
    invalid: 0,
    abandoned: 0,
  };
  const running = new Set<Promise<void>>();

  async function deleteMessage(m: Message): Promise<void> {
    try {
      await sqs.send(
        new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle }),
      );
    } catch (e) {
      // It reappears after its visibility timeout; the rerun is harmless.
      log("warn", "could not delete a message", { error: e, messageId: m.MessageId });
    }
  }

  /** Sends an answer; true when the message is done with (answered, or the token is dead). */
  async function answer(
    send: () => Promise<unknown>,
    fields: Record<string, unknown>,
  ): Promise<boolean> {
    try {
      await send();
      return true;
    } catch (e) {
      if (tokenRefused(e)) {
        log("info", "Step Functions no longer waits for this task", { ...fields, error: e });
        return true;
      }
      log("warn", "could not answer Step Functions", { ...fields, error: e });
      return false;
    }
  }

  async function handle(m: Message): Promise<void> {
    stats.received++;
    const parsed = parseMessageBody(m.Body);
    if (parsed.message === undefined) {
      stats.invalid++;
      const error = parsed.error ?? new InvalidMessageError("invalid message");
      log("warn", "invalid message", { messageId: m.MessageId, error });
      let done = true;
      if (parsed.taskToken !== undefined) {
        const input = {
          taskToken: parsed.taskToken,
          error: ERROR_INVALID_MESSAGE,
          cause: safeText(error.message, 4096),
        };
        done = await answer(() => sfn.send(new SendTaskFailureCommand(input)), {
          messageId: m.MessageId,
        });
      }
      if (done) await deleteMessage(m);
      return;
    }
    const { message, taskToken } = parsed as Required<Pick<ParsedBody, "message" | "taskToken">>;
    const fields = {
      op: message.op,
      ...("job" in message ? { jobDir: message.job } : {}),
      ...(message.op === "task" ? { task: message.task } : {}),
      messageId: m.MessageId,
      receiveCount: m.Attributes?.ApproximateReceiveCount,
    };
    const controller = new AbortController();
    const onStop = () => controller.abort(new WorkerStoppingError());
    signal?.addEventListener("abort", onStop, { once: true });
    if (signal?.aborted) onStop();
    let beating = false;
    const beat = async () => {
      if (beating || controller.signal.aborted) return;
      beating = true;
      try {
        await sfn.send(new SendTaskHeartbeatCommand({ taskToken }));
      } catch (e) {
        if (tokenRefused(e)) controller.abort(new AbandonedError(e));
        else log("warn", "heartbeat failed", { ...fields, error: e });
      }
      try {
        await sqs.send(
          new ChangeMessageVisibilityCommand({
            QueueUrl: queueUrl,
            ReceiptHandle: m.ReceiptHandle,
            VisibilityTimeout: visibility,
          }),
        );
      } catch (e) {
        log("warn", "could not extend the message's visibility", { ...fields, error: e });
      } finally {
        beating = false;
      }
    };
    const timer = setInterval(beat, heartbeatMs);
    const started = Date.now();
    log("info", "operation started", fields);
    let result: unknown;
    let failure: unknown;
    try {
      const op = runOp(message, { store: options.store, signal: controller.signal, ...engine });
      // The op's store stops at the signal; the answer does not wait for its unwinding.
      const aborted = new Promise<never>((_, reject) => {
        const fail = () => reject(controller.signal.reason);
        if (controller.signal.aborted) fail();
        else controller.signal.addEventListener("abort", fail, { once: true });
      });
      aborted.catch(() => {});
      op.catch(() => {});
      result = await Promise.race([op, aborted]);
    } catch (e) {
      failure = e;
    } finally {
      clearInterval(timer);
      signal?.removeEventListener("abort", onStop);
    }
    const durationMs = Date.now() - started;
    if (failure instanceof AbandonedError) {
      stats.abandoned++;
      log("warn", "operation abandoned", { ...fields, durationMs });
      await deleteMessage(m);
      return;
    }
    let done: boolean;
    if (failure === undefined) {
      const output = taskOutput(result);
      done = await answer(
        () => sfn.send(new SendTaskSuccessCommand({ taskToken, output })),
        fields,
      );
      if (done) stats.succeeded++;
      log("info", "operation finished", { ...fields, durationMs, outputChars: output.length });
    } else {
      const f = failure instanceof WorkerStoppingError
        ? { error: ERROR_RETRYABLE, cause: failure.message }
        : failureOf(failure, message.op);
      done = await answer(() => sfn.send(new SendTaskFailureCommand({ taskToken, ...f })), fields);
      if (done) stats.failed++;
      log(f.error === ERROR_RETRYABLE ? "warn" : "error", "operation failed", {
        ...fields,
        durationMs,
        errorName: f.error,
        error: failure,
      });
    }
    if (done) await deleteMessage(m);
  }

  let idle = 0;
  try {
    while (!signal?.aborted) {
      if (running.size >= concurrency) {
        await Promise.race(running);
        continue;
      }
      let messages: Message[];
      try {
        const r = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: queueUrl,
            MaxNumberOfMessages: Math.min(10, concurrency - running.size),
            WaitTimeSeconds: waitTimeSeconds,
            VisibilityTimeout: visibility,
            MessageSystemAttributeNames: ["ApproximateReceiveCount"],
          }),
          signal ? { abortSignal: signal } : {},
        );
        messages = r.Messages ?? [];
      } catch (e) {
        if (signal?.aborted) break;
        log("warn", "ReceiveMessage failed", { error: e });
        await sleep(1000, signal);
        continue;
      }
      if (messages.length === 0) {
        // Empty polls count only while nothing runs (a test's "queue drained").
        if (running.size === 0 && options.maxIdlePolls !== undefined) {
          if (++idle >= options.maxIdlePolls) break;
        }
        continue;
      }
      idle = 0;
      for (const m of messages) {
        const p: Promise<void> = handle(m).catch((e) => {
          log("error", "message handling failed", { error: e, messageId: m.MessageId });
        }).finally(() => running.delete(p));
        running.add(p);
      }
    }
    await Promise.allSettled([...running]);
  } finally {
    if (ownClients) {
      if (options.sqs === undefined) sqs.destroy();
      if (options.sfn === undefined) sfn.destroy();
    }
  }
  log("info", "worker stopped", { ...stats });
  return stats;
}

/** What {@link cliQueueWorker} needs (main.ts's deps object fits). */
export interface QueueWorkerCliDeps {
  /** The base store. */
  store: Store;
  /** Reads one environment variable. */
  env: (name: string) => string | undefined;
  /** Structured log sink (default JSON lines on stderr). */
  log?: Logger;
}

/**
 * `main.ts worker --queue URL`: runs {@link runQueueWorker} until SIGINT or SIGTERM (the running
 * operation is answered `WarmStart.Retryable`, so another worker takes it over at once).
 *
 * @param args the parsed command: the queue URL (and, for tests, how many empty polls end it)
 * @param deps store and environment
 * @returns the exit code (0)
 */
export async function cliQueueWorker(
  args: { queue: string; maxIdlePolls?: number },
  deps: QueueWorkerCliDeps,
): Promise<number> {
  const controller = new AbortController();
  const stop = () => controller.abort();
  const signals: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
  for (const s of signals) Deno.addSignalListener(s, stop);
  try {
    await runQueueWorker({
      queueUrl: args.queue,
      store: deps.store,
      env: deps.env,
      signal: controller.signal,
      ...(args.maxIdlePolls !== undefined ? { maxIdlePolls: args.maxIdlePolls } : {}),
      ...(deps.log ? { log: deps.log } : {}),
    });
    return 0;
  } finally {
    for (const s of signals) Deno.removeSignalListener(s, stop);
  }
}
