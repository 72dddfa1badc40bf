/**
 * The function: the HTTP app (API, event notifications), schedules, the CLI commands, the job
 * runner that makes triggers idempotent, and the one table mapping errors to answers.
 *
 * @example Answer a health check without a server
 * ```ts
 * import assert from "node:assert/strict";
 * import { createHandler, loadConfig } from "@warm-start/core/function";
 * import { FileStore } from "@warm-start/core/storage";
 * import { runWarmStart } from "@warm-start/core";
 * const config = loadConfig({ env: () => undefined, local: true });
 * const handler = createHandler({ config, store: new FileStore(), run: runWarmStart });
 * const res = await handler(new Request("http://localhost/healthz"));
 * assert.ok(res.status === 200);
 * ```
 *
 * @module
 */
export { createHandler, errorResponse, type Handler, type HandlerDeps } from "./app.ts";
export { type CliDeps, type CliStreams, cliWarmStart } from "./cli.ts";
export { cliInspect, cliInspectDiff, type InspectDeps } from "./cli_inspect.ts";
export { type Command, type LogFormat, parseCommand, USAGE } from "./cli_args.ts";
export {
  type ConfigSource,
  type FunctionConfig,
  loadConfig,
  type ScheduleRule,
  type WatchRule,
} from "./config.ts";
export {
  ConfigError,
  ForbiddenLocationError,
  ForbiddenRequestError,
  JobTimeoutError,
  PayloadTooLargeError,
  RequestTimeoutError,
  ShuttingDownError,
  TooManyJobsError,
  TooManyRecordsError,
  UnauthorizedError,
  UnsupportedMediaTypeError,
  UsageError,
} from "./errors.ts";
export type { DistributedConfig, DistributedJobs, ExecutionInfo } from "./distributed.ts";
export { cliQueueWorker, type QueueWorkerCliDeps } from "./queue_worker.ts";
export { stateMachineDefinition, type StateMachineOptions } from "./state_machine.ts";
export { runStdioWorker, type WorkerAnswer } from "./stdio_worker.ts";
export { workerPool, type WorkerPoolOptions, WorkerTaskError } from "./worker_pool.ts";
export {
  createJobRunner,
  type JobOutcome,
  type JobRequest,
  type JobRunner,
  type JobRunnerDeps,
  type JobStatus,
  type WarmStartRunner,
} from "./job_runner.ts";
export { createLogger, type Logger, type LogLevel, silentLogger } from "./log.ts";
export { atLevel, parseLogLevel } from "./log_level.ts";
export { withTelemetry } from "./telemetry.ts";
export { type ErrorBody, errorBody, type Outcome, outcomeOf } from "./outcome.ts";
export { type CronFn, registerSchedules } from "./schedules.ts";
export { exitProcess } from "./process_exit.ts";
export { RUNTIME_FLAGS, V8_FLAGS } from "./runtime_flags.ts";
export { serve, type ServeDeps } from "./server.ts";
export type { TriggerInfo } from "./trigger.ts";
