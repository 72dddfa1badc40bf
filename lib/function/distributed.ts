/**
 * Jobs handed to AWS Step Functions (deploy/step_functions/warm_start.asl.json): the function's
 * triggers start an execution and answer at once; the workers (`main.ts worker --queue URL`,
 * queue_worker.ts) do the work.
 *
 * - The execution is named by the job id (`jobIdOf(spec)`), so a duplicate request or event
 *   cannot start a second one: StartExecution is idempotent for a running execution with the
 *   same input, and ExecutionAlreadyExists answers the existing one. A job whose execution ended
 *   without success (FAILED, TIMED_OUT, ABORTED) may run again: the next attempt is named
 *   `<job id>-r2`, `-r3`, ... (Step Functions keeps a name for 90 days), up to
 *   {@link MAX_ATTEMPTS}.
 * - The execution input is `{queueUrl, spec, taskBytes, trigger}`: the spec as JSON with every
 *   location absolute ({@link specToJson}).
 * - {@link DistributedJobs.status} reports the latest attempt (DescribeExecution): RUNNING,
 *   SUCCEEDED (with the report or its summary), FAILED, TIMED_OUT, ABORTED.
 *
 * @module
 */
import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  type SFNClient,
  StartExecutionCommand,
} from "@aws-sdk/client-sfn";
import { canonicalJson, type JobSpec } from "../warmstart/mod.ts";
import { StepFunctionsError } from "./errors.ts";
import { safeText } from "./outcome.ts";

/** Most executions one job id may have (first run plus reruns after failures). */
export const MAX_ATTEMPTS = 20;

/** Where distributed jobs go (FunctionConfig.distributed). */
export interface DistributedConfig {
  /** WARM_START_STATE_MACHINE_ARN: the state machine created from the shipped ASL. */
  stateMachineArn: string;
  /** WARM_START_QUEUE_URL: the SQS queue the workers poll. */
  queueUrl: string;
  /**
   * WARM_START_DISTRIBUTED_MIN_BYTES: jobs whose dry run writes more bytes go to Step Functions
   * (undefined: only requests that ask, `?distributed=1` or `"distributed": true`).
   */
  minBytes?: number;
  /** WARM_START_TASK_BYTES: the executions' task bound (undefined: the engine's default). */
  taskBytes?: number;
}

/** An execution of a job, as the API reports it. */
export interface ExecutionInfo {
  /** The job id. */
  jobId: string;
  /** The execution's ARN. */
  executionArn: string;
  /** RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED (Step Functions' status). */
  status: string;
  /** When it started (ISO 8601). */
  startDate?: string;
  /** When it ended (ISO 8601). */
  stopDate?: string;
  /** Which attempt this is (1 = the first execution of the job). */
  attempt: number;
  /** SUCCEEDED: the execution's output (the report, or its summary when large). */
  output?: unknown;
  /** FAILED: the error name (e.g. WarmStart.Failed). */
  error?: string;
  /** FAILED: the cause (the worker's JSON error body, where Step Functions carries it). */
  cause?: string;
}

/** Starts and describes executions. */
export interface DistributedJobs {
  /** The configuration. */
  readonly config: DistributedConfig;
  /** Starts the job's execution, or answers the one already running or done. */
  start(
    spec: JobSpec,
    jobId: string,
    options?: { taskBytes?: number; trigger?: unknown },
  ): Promise<ExecutionInfo>;
  /** The latest execution of a job, or undefined when it has none. */
  status(jobId: string): Promise<ExecutionInfo | undefined>;
}

/**
 * The job spec as JSON (the request form `parseJobSpec` reads) with every location absolute:
 * the `spec` of a plan message.
 *
 * @param spec a parsed spec
 * @returns its JSON object
 */
export function specToJson(spec: JobSpec): Record<string, unknown> {
  const vars = spec.varsToWarmStart;
  const out: Record<string, unknown> = {
    ckpt_to_initialize_from: spec.ckptToInitializeFrom,
    new_checkpoint: spec.newCheckpoint,
    output: spec.output,
    vars_to_warm_start: vars.kind === "regex"
      ? vars.pattern
      : vars.kind === "regex_list"
      ? [...vars.patterns]
      : vars.kind === "variables"
      ? { variables: [...vars.names] }
      : null,
    var_name_to_vocab_info: Object.fromEntries(
      Object.entries(spec.varNameToVocabInfo).map(([name, v]) => [name, {
        new_vocab: v.newVocab,
        new_vocab_size: v.newVocabSize,
        num_oov_buckets: v.numOovBuckets,
        old_vocab: v.oldVocab,
        old_vocab_size: v.oldVocabSize,
        backup_initializer: v.backupInitializer,
        axis: v.axis,
      }]),
    ),
    var_name_to_prev_var_name: { ...spec.varNameToPrevVarName },
  };
  if (spec.trainableVariables !== undefined) {
    out.trainable_variables = [...spec.trainableVariables];
  }
  if (spec.overwrite !== undefined) out.overwrite = spec.overwrite;
  if (spec.strict !== undefined) out.strict = spec.strict;
  return out;
}

/** The ARN of execution `name` of `stateMachineArn`. */
export function executionArnOf(stateMachineArn: string, name: string): string {
  return `${stateMachineArn.replace(":stateMachine:", ":execution:")}:${name}`;
}

function nameOf(jobId: string, attempt: number): string {
  return attempt === 1 ? jobId : `${jobId}-r${attempt}`;
}

function errorName(e: unknown): string {
  return (e as { name?: string })?.name ?? "";
}

function httpStatus(e: unknown): number | undefined {
  return (e as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
}

/** A Step Functions failure as the outcome table's error (5xx and throttling may be retried). */
function sfnError(action: string, e: unknown): StepFunctionsError {
  const status = httpStatus(e);
  const retryable = status === undefined || status >= 500 || status === 429 ||
    /Throttl|ServiceUnavailable|Timeout/i.test(errorName(e));
  return new StepFunctionsError(
    `Step Functions ${action} failed: ${
      safeText(`${errorName(e)} ${(e as Error)?.message ?? e}`, 500)
    }`,
    retryable,
    { cause: e },
  );
}

function iso(d: Date | undefined): string | undefined {
  return d instanceof Date && !Number.isNaN(d.getTime()) ? d.toISOString() : undefined;
}

function parseOutput(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return safeText(text, 4096);
  }
}

function infoOf(jobId: string, attempt: number, d: DescribeExecutionCommandOutput): ExecutionInfo {
  return {
    jobId,
    executionArn: d.executionArn!,
    status: d.status ?? "UNKNOWN",
    attempt,
    ...(iso(d.startDate) ? { startDate: iso(d.startDate) } : {}),
    ...(iso(d.stopDate) ? { stopDate: iso(d.stopDate) } : {}),
    ...(d.status === "SUCCEEDED" ? { output: parseOutput(d.output) } : {}),
    ...(d.error ? { error: safeText(d.error, 256) } : {}),
    ...(d.cause ? { cause: safeText(d.cause, 4096) } : {}),
  };
}

/** Statuses after which the job may run again under the next name. */
const ENDED_WITHOUT_SUCCESS = new Set(["FAILED", "TIMED_OUT", "ABORTED"]);

/**
 * Creates the Step Functions side of the function.
 *
 * @param config state machine, queue, thresholds
 * @param sfn the client (sfnClientFromEnv)
 * @returns start and status
 */
export function createDistributedJobs(config: DistributedConfig, sfn: SFNClient): DistributedJobs {
  async function describe(name: string): Promise<DescribeExecutionCommandOutput | undefined> {
    try {
      return await sfn.send(
        new DescribeExecutionCommand({
          executionArn: executionArnOf(config.stateMachineArn, name),
        }),
      );
    } catch (e) {
      if (errorName(e) === "ExecutionDoesNotExist") return undefined;
      // moto answers some errors without a code: a 400 on describe means "no such execution".
      if (httpStatus(e) === 400 && errorName(e) === "") return undefined;
      throw sfnError("DescribeExecution", e);
    }
  }

  return {
    config,
    async start(spec, jobId, options = {}) {
      const taskBytes = options.taskBytes ?? config.taskBytes ?? null;
      const input = canonicalJson({
        queueUrl: config.queueUrl,
        spec: specToJson(spec),
        taskBytes,
        trigger: options.trigger ?? null,
      });
      let last: ExecutionInfo | undefined;
      for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
        const name = nameOf(jobId, attempt);
        try {
          const r = await sfn.send(
            new StartExecutionCommand({ stateMachineArn: config.stateMachineArn, name, input }),
          );
          return {
            jobId,
            executionArn: r.executionArn!,
            status: "RUNNING",
            attempt,
            ...(iso(r.startDate) ? { startDate: iso(r.startDate) } : {}),
          };
        } catch (e) {
          if (errorName(e) !== "ExecutionAlreadyExists" && httpStatus(e) !== 400) {
            throw sfnError("StartExecution", e);
          }
          const d = await describe(name);
          // A 400 that is not about an existing execution (a bad ARN, a bad input).
          if (d === undefined) throw sfnError("StartExecution", e);
          last = infoOf(jobId, attempt, d);
          if (!ENDED_WITHOUT_SUCCESS.has(last.status)) return last;
        }
      }
      return last!;
    },
    async status(jobId) {
      let last: ExecutionInfo | undefined;
      for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
        const d = await describe(nameOf(jobId, attempt));
        if (d === undefined) break;
        last = infoOf(jobId, attempt, d);
        if (!ENDED_WITHOUT_SUCCESS.has(last.status)) break;
      }
      return last;
    },
  };
}
