/**
 * The function's configuration, read from the environment (and an optional JSON file for
 * watches and schedules). Credentials for storage are read by lib/storage from the environment;
 * nothing here accepts credentials from a request.
 *
 * @module
 */
import { parseAllowList } from "../storage/mod.ts";
import {
  DEFAULT_LIMITS,
  type InputLimits,
  JOB_SPEC_FIELDS,
  VOCAB_INFO_FIELDS,
} from "../warmstart/mod.ts";
import { ConfigError } from "./errors.ts";
import { cronProblem } from "./cron_syntax.ts";
import type { DistributedConfig } from "./distributed.ts";

/** An `.index` under `prefix` starts the job built from the `job` template (see template.ts). */
export interface WatchRule {
  /** Location prefix, e.g. `s3://models/candidates/`. */
  prefix: string;
  /** A job spec JSON object whose strings may use `{new_checkpoint}`, `{new_dir}`, `{new_name}`. */
  job: Record<string, unknown>;
}

/** A Deno.cron schedule: warm-start the latest checkpoint under `newCheckpointsUnder`. */
export interface ScheduleRule {
  /** Unique cron name (Deno.cron requires one). */
  name: string;
  /** Cron expression, UTC (e.g. `0 2 * * *` = every day at 02:00). */
  schedule: string;
  /** Directory whose latest checkpoint is the NEW checkpoint of each run. */
  newCheckpointsUnder: string;
  /** Job template, as for watches. `ckpt_to_initialize_from` may be a directory (its latest). */
  job: Record<string, unknown>;
  /** Retry delays in ms for a failed run (Deno.cron backoffSchedule; at most 5). */
  backoffSchedule?: number[];
}

/** Everything the server, the CLI and the triggers need to know. */
export interface FunctionConfig {
  /** WARM_START_TOKEN; undefined only in local mode. */
  token?: string;
  /** Local mode: no token required, the server listens on 127.0.0.1 only. */
  local: boolean;
  /** Canonical allowed prefixes (WARM_START_ALLOWED); undefined allows every location. */
  allowed?: string[];
  /** Request body and job file limit in bytes (WARM_START_MAX_BODY_BYTES, default 1 MiB). */
  maxBodyBytes: number;
  /** Time to receive a request body in ms (WARM_START_BODY_TIMEOUT_MS, default 30 s). */
  bodyTimeoutMs: number;
  /** Jobs running at once (WARM_START_MAX_JOBS, default 4); more answer 429 or queue. */
  maxJobs: number;
  /** Event jobs waiting for a slot (WARM_START_MAX_QUEUED, default 32); more are retryable. */
  maxQueued: number;
  /** Deadline of every job in ms (WARM_START_JOB_TIMEOUT_MS, default 1 h). */
  jobTimeoutMs: number;
  /** How long SIGTERM waits for running jobs before aborting them (WARM_START_SHUTDOWN_GRACE_MS). */
  shutdownGraceMs: number;
  /** Records one notification may carry (WARM_START_MAX_EVENT_RECORDS, default 100). */
  maxEventRecords: number;
  /** Caps on what a job reads whole (WARM_START_MAX_INDEX_BYTES, WARM_START_MAX_META_BYTES). */
  limits: InputLimits;
  /** PORT (default 8000). */
  port: number;
  /** Relative local locations in HTTP specs resolve here (WARM_START_BASE_DIR, default cwd). */
  baseDir: string;
  /** Name of job files that trigger a job when written (WARM_START_JOB_FILE). */
  jobFileName: string;
  /** POST /v1/events waits for the jobs before answering (WARM_START_EVENTS_WAIT=1). */
  eventsWait: boolean;
  /** `.index` watch rules (WARM_START_CONFIG.watch). */
  watches: WatchRule[];
  /** Deno.cron schedules (WARM_START_CONFIG.schedules). */
  schedules: ScheduleRule[];
  /** Things an operator should know at start (e.g. no allow-list). */
  warnings: string[];
  /**
   * Engine options of every job: WARM_START_VERIFY_COPIES=0 trusts the store's checksums for
   * server-side copies; WARM_START_CLAIM_STALE_MS is when a dead run's claim may be taken over;
   * WARM_START_MEMORY_MIB is the memory budget of remaps and vocabulary joins;
   * WARM_START_SPILL_DIR is where a remap's temporary objects go instead of beside the output.
   */
  engine: {
    verifyCopies: boolean;
    claim?: { staleMs: number; heartbeatMs: number };
    tuning?: { memoryBytes: number };
    spillTo?: string;
  };
  /**
   * Jobs handed to AWS Step Functions (README "Step Functions"): WARM_START_STATE_MACHINE_ARN and
   * WARM_START_QUEUE_URL (both or neither), WARM_START_DISTRIBUTED_MIN_BYTES,
   * WARM_START_TASK_BYTES. Undefined: every job runs in this process.
   */
  distributed?: DistributedConfig;
}

/** Where configuration comes from. */
export interface ConfigSource {
  /** Reads one environment variable. */
  env: (name: string) => string | undefined;
  /** Forces local mode (the CLI's `--local`). */
  local?: boolean;
  /** Reads WARM_START_CONFIG when it is a path. */
  readTextFile?: (path: string) => string;
  /** Directory relative paths resolve against. */
  cwd?: string;
}

const DEFAULT_MAX_BODY = 1024 * 1024;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function flag(value: string | undefined): boolean {
  return value !== undefined && /^(1|true|yes|on)$/i.test(value.trim());
}

function positiveInt(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined || value.trim() === "") return fallback;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n <= 0) {
    throw new ConfigError(name, "expected a positive integer");
  }
  return n;
}

/** A misspelled key is a start-up error, not a silently ignored setting. */
function checkKeys(v: Record<string, unknown>, known: readonly string[], field: string): void {
  for (const key of Object.keys(v)) {
    if (!known.includes(key)) {
      throw new ConfigError(field, `unknown key "${key}" (expected one of ${known.join(", ")})`);
    }
  }
}

/** A job template's keys are job spec fields (and its VocabInfos' keys VocabInfo fields). */
function checkTemplate(job: Record<string, unknown>, field: string): void {
  checkKeys(job, Object.keys(JOB_SPEC_FIELDS), `${field}.job`);
  const vocab = job.var_name_to_vocab_info;
  for (const [name, info] of Object.entries(isRecord(vocab) ? vocab : {})) {
    if (isRecord(info)) {
      checkKeys(
        info,
        Object.keys(VOCAB_INFO_FIELDS),
        `${field}.job.var_name_to_vocab_info.${name}`,
      );
    }
  }
}

function parseWatch(v: unknown, i: number): WatchRule {
  const field = `WARM_START_CONFIG.watch[${i}]`;
  if (!isRecord(v) || typeof v.prefix !== "string" || v.prefix === "" || !isRecord(v.job)) {
    throw new ConfigError(field, 'expected {"prefix": "<location prefix>", "job": {<spec>}}');
  }
  const named = `${field} (${v.prefix})`;
  checkKeys(v, ["prefix", "job"], named);
  checkTemplate(v.job, named);
  return { prefix: v.prefix, job: v.job };
}

function parseSchedule(v: unknown, i: number): ScheduleRule {
  const field = `WARM_START_CONFIG.schedules[${i}]`;
  if (
    !isRecord(v) || typeof v.name !== "string" || typeof v.schedule !== "string" ||
    typeof v.new_checkpoints_under !== "string" || !isRecord(v.job)
  ) {
    throw new ConfigError(
      field,
      'expected {"name", "schedule": "<cron>", "new_checkpoints_under": "<dir>", "job": {<spec>}}',
    );
  }
  const named = `${field} ("${v.name}")`;
  checkKeys(v, ["name", "schedule", "new_checkpoints_under", "job", "backoff_schedule"], named);
  checkTemplate(v.job, named);
  const problem = cronProblem(v.schedule);
  if (problem) throw new ConfigError(`${named}.schedule`, `"${v.schedule}": ${problem}`);
  const backoff = v.backoff_schedule;
  if (
    backoff !== undefined &&
    (!Array.isArray(backoff) || backoff.length > 5 ||
      !backoff.every((n) => Number.isSafeInteger(n) && n > 0 && n <= 3_600_000))
  ) {
    throw new ConfigError(
      `${field}.backoff_schedule`,
      "expected at most 5 delays of 1..3600000 ms",
    );
  }
  return {
    name: v.name,
    schedule: v.schedule,
    newCheckpointsUnder: v.new_checkpoints_under,
    job: v.job,
    ...(backoff ? { backoffSchedule: backoff as number[] } : {}),
  };
}

function parseConfigJson(text: string): { watch: WatchRule[]; schedules: ScheduleRule[] } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ConfigError("WARM_START_CONFIG", `not valid JSON (${(e as Error).message})`);
  }
  if (!isRecord(json)) throw new ConfigError("WARM_START_CONFIG", "expected a JSON object");
  checkKeys(json, ["watch", "schedules"], "WARM_START_CONFIG");
  const watch = json.watch ?? [];
  const schedules = json.schedules ?? [];
  if (!Array.isArray(watch)) throw new ConfigError("WARM_START_CONFIG.watch", "expected a list");
  if (!Array.isArray(schedules)) {
    throw new ConfigError("WARM_START_CONFIG.schedules", "expected a list");
  }
  const names = new Set<string>();
  const parsedSchedules = schedules.map(parseSchedule);
  for (const s of parsedSchedules) {
    if (names.has(s.name)) {
      throw new ConfigError("WARM_START_CONFIG.schedules", `duplicate name "${s.name}"`);
    }
    names.add(s.name);
  }
  return { watch: watch.map(parseWatch), schedules: parsedSchedules };
}

/**
 * Reads and validates the configuration.
 *
 * @throws ConfigError naming the variable at fault (e.g. no WARM_START_TOKEN outside local mode)
 */
export function loadConfig(source: ConfigSource): FunctionConfig {
  const { env } = source;
  const cwd = source.cwd ?? "/";
  const int = (name: string, fallback: number) => positiveInt(name, env(name), fallback);
  const local = source.local === true || flag(env("WARM_START_LOCAL"));
  const token = env("WARM_START_TOKEN") || undefined;
  if (!local && token === undefined) {
    throw new ConfigError(
      "WARM_START_TOKEN",
      "required: set a secret token, or run in local mode (WARM_START_LOCAL=1 or --local)",
    );
  }
  if (token !== undefined && token.length < 16) {
    throw new ConfigError("WARM_START_TOKEN", "too short: use at least 16 random characters");
  }
  const warnings: string[] = [];
  const allowedRaw = env("WARM_START_ALLOWED");
  let allowed: string[] | undefined;
  if (allowedRaw === undefined || allowedRaw.trim() === "") {
    warnings.push("WARM_START_ALLOWED is not set: jobs may read and write any location");
  } else {
    try {
      allowed = parseAllowList(allowedRaw, cwd);
    } catch (e) {
      throw new ConfigError("WARM_START_ALLOWED", (e as Error).message);
    }
  }
  if (local && token === undefined) {
    warnings.push("local mode without WARM_START_TOKEN: listening on 127.0.0.1 only");
  }
  let watches: WatchRule[] = [];
  let schedules: ScheduleRule[] = [];
  const configRaw = env("WARM_START_CONFIG");
  if (configRaw !== undefined && configRaw.trim() !== "") {
    const text = configRaw.trim().startsWith("{")
      ? configRaw
      : (source.readTextFile ?? Deno.readTextFileSync)(configRaw);
    ({ watch: watches, schedules } = parseConfigJson(text));
  }
  return {
    ...(token !== undefined ? { token } : {}),
    local,
    ...(allowed !== undefined ? { allowed } : {}),
    maxBodyBytes: positiveInt(
      "WARM_START_MAX_BODY_BYTES",
      env("WARM_START_MAX_BODY_BYTES"),
      DEFAULT_MAX_BODY,
    ),
    bodyTimeoutMs: int("WARM_START_BODY_TIMEOUT_MS", 30_000),
    maxJobs: int("WARM_START_MAX_JOBS", 4),
    maxQueued: int("WARM_START_MAX_QUEUED", 32),
    jobTimeoutMs: int("WARM_START_JOB_TIMEOUT_MS", 3_600_000),
    shutdownGraceMs: int("WARM_START_SHUTDOWN_GRACE_MS", 10_000),
    maxEventRecords: int("WARM_START_MAX_EVENT_RECORDS", 100),
    limits: {
      maxIndexBytes: int("WARM_START_MAX_INDEX_BYTES", DEFAULT_LIMITS.maxIndexBytes),
      maxMetaBytes: int("WARM_START_MAX_META_BYTES", DEFAULT_LIMITS.maxMetaBytes),
    },
    port: positiveInt("PORT", env("PORT"), 8000),
    baseDir: env("WARM_START_BASE_DIR") || cwd,
    jobFileName: env("WARM_START_JOB_FILE") || "warm_start.json",
    eventsWait: flag(env("WARM_START_EVENTS_WAIT")),
    watches,
    schedules,
    warnings,
    engine: engineOptions(env),
    ...distributedOptions(env),
  };
}

const STATE_MACHINE_ARN =
  /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[A-Za-z0-9_-]{1,80}$/;

function distributedOptions(
  env: (name: string) => string | undefined,
): Pick<FunctionConfig, "distributed"> {
  const arn = env("WARM_START_STATE_MACHINE_ARN")?.trim() || undefined;
  const queueUrl = env("WARM_START_QUEUE_URL")?.trim() || undefined;
  const minBytes = positiveInt(
    "WARM_START_DISTRIBUTED_MIN_BYTES",
    env("WARM_START_DISTRIBUTED_MIN_BYTES"),
    0,
  );
  const taskBytes = positiveInt("WARM_START_TASK_BYTES", env("WARM_START_TASK_BYTES"), 0);
  if (arn === undefined && queueUrl === undefined) {
    if (minBytes > 0) {
      throw new ConfigError(
        "WARM_START_DISTRIBUTED_MIN_BYTES",
        "needs WARM_START_STATE_MACHINE_ARN and WARM_START_QUEUE_URL",
      );
    }
    return {};
  }
  if (arn === undefined || !STATE_MACHINE_ARN.test(arn)) {
    throw new ConfigError(
      "WARM_START_STATE_MACHINE_ARN",
      "expected a state machine ARN (arn:aws:states:<region>:<account>:stateMachine:<name>), " +
        "set together with WARM_START_QUEUE_URL",
    );
  }
  if (queueUrl === undefined || !/^https?:\/\/[^\s]+$/.test(queueUrl)) {
    throw new ConfigError(
      "WARM_START_QUEUE_URL",
      "expected the SQS queue URL the workers poll, set together with WARM_START_STATE_MACHINE_ARN",
    );
  }
  return {
    distributed: {
      stateMachineArn: arn,
      queueUrl,
      ...(minBytes > 0 ? { minBytes } : {}),
      ...(taskBytes > 0 ? { taskBytes } : {}),
    },
  };
}

function engineOptions(env: (name: string) => string | undefined): FunctionConfig["engine"] {
  const verify = env("WARM_START_VERIFY_COPIES");
  const staleMs = positiveInt("WARM_START_CLAIM_STALE_MS", env("WARM_START_CLAIM_STALE_MS"), 0);
  const memoryMiB = positiveInt("WARM_START_MEMORY_MIB", env("WARM_START_MEMORY_MIB"), 0);
  const spillTo = env("WARM_START_SPILL_DIR")?.trim();
  return {
    verifyCopies: verify === undefined || !/^(0|false|no|off)$/i.test(verify.trim()),
    ...(staleMs > 0
      ? { claim: { staleMs, heartbeatMs: Math.max(50, Math.floor(staleMs / 4)) } }
      : {}),
    ...(memoryMiB > 0 ? { tuning: { memoryBytes: memoryMiB * 1024 * 1024 } } : {}),
    ...(spillTo ? { spillTo } : {}),
  };
}
