/**
 * Command-line arguments of main.ts: one `node:util` parseArgs table per command, its help text
 * (usage, options, the job spec's fields, examples) and its own words for unknown options.
 *
 * ```
 * main.ts [serve] [--local]                               serve the HTTP API (the default)
 * main.ts warm-start --spec FILE [--dry-run] [--json] [--log-format auto|json|text]
 * main.ts inspect LOCATION [--json] [--verify] [--tensor NAME]...
 * main.ts inspect diff A B [--json]
 * main.ts worker --stdio | --queue URL
 * main.ts --help | --version
 * ```
 *
 * @module
 */
import { parseArgs } from "node:util";
import { JOB_SPEC_FIELDS, VOCAB_INFO_FIELDS } from "../warmstart/mod.ts";
import { UsageError } from "./errors.ts";

/** How the CLI writes progress and logs on stderr. */
export type LogFormat = "auto" | "json" | "text";

/** A parsed command line. */
export type Command =
  | { command: "serve"; local: boolean }
  | {
    command: "warm-start";
    spec: string;
    dryRun: boolean;
    local: boolean;
    json: boolean;
    logFormat: LogFormat;
    /** Worker processes for a split job's tasks (undefined: the cores, when it has tasks). */
    workers?: number;
    /** Split into tasks of at most this many streamed bytes. */
    taskBytes?: number;
  }
  | { command: "worker"; stdio: true }
  | { command: "worker"; queue: string; maxIdlePolls?: number }
  | {
    command: "inspect";
    location: string;
    json: boolean;
    verify: boolean;
    tensors: string[];
  }
  | { command: "inspect-diff"; a: string; b: string; json: boolean }
  | { command: "help"; text: string }
  | { command: "version" };

const EXIT_CODES = "Exit codes: 0 done; 2 invalid spec, settings or arguments (nothing written); " +
  "75 a retry may help\n(transient storage fault, object missing or changed); 1 any other failure.";

function fieldLines(fields: Readonly<Record<string, { required: boolean; description: string }>>) {
  const names = Object.keys(fields).filter((n) => !n.startsWith("$"));
  const width = Math.max(...names.map((n) => n.length)) + 2;
  return names.map((n) =>
    `  ${n.padEnd(width)}${fields[n].required ? "(required) " : ""}${fields[n].description}`
  ).join("\n");
}

/** Top-level usage. */
export const USAGE = `warm-start: TensorFlow's warm_start on checkpoint files (local or S3).

Usage:
  main.ts [serve] [--local]                 serve the HTTP API, events and schedules (PORT, default 8000)
  main.ts warm-start --spec FILE [--dry-run] run one job: progress on stderr, the report on stdout
  main.ts inspect LOCATION [--tensor NAME]  list a checkpoint's variables, print tensors, --verify CRCs
  main.ts inspect diff A B                  compare two checkpoints
  main.ts worker --stdio | --queue URL      run tasks of split jobs (a pool's, or a queue's)
  main.ts --version

Run "main.ts COMMAND --help" for a command's options and examples.
${EXIT_CODES}`;

const HELP: Record<string, string> = {
  serve: `Usage: main.ts serve [--local]

Serves POST /v1/warm-start, POST /v1/events and GET /healthz, and registers the schedules of
WARM_START_CONFIG (Deno.cron). Configuration comes from the environment (see README.md).

Options:
  --local      local mode: no token needed; listens on 127.0.0.1 only (same as WARM_START_LOCAL=1)
  -h, --help   this help

Examples:
  main.ts serve --local
  WARM_START_TOKEN=$(openssl rand -hex 32) WARM_START_ALLOWED=s3://models/ main.ts serve`,

  "warm-start":
    `Usage: main.ts warm-start --spec FILE [--dry-run] [--json] [--log-format auto|json|text]

Runs one job: reads the OLD and NEW checkpoints, writes the MERGED checkpoint at "output", exactly
what tf.compat.v1.train.warm_start would initialise the NEW model to.

Options:
  --spec FILE         the job spec (JSON); relative locations resolve against FILE's directory
  --dry-run           plan only: report what each variable would get, write nothing
  --json              print the JSON report on stdout even on a terminal (default off a terminal)
  --log-format FMT    auto (default): a progress bar on a terminal, JSON lines otherwise;
                      json: JSON lines with progress every few seconds; text: plain lines
  --workers K         split a job bigger than one task per shard (1 GiB streamed or 16 GiB
                      copied) and run its tasks in K worker processes; resumable
  --task-bytes N      split any job into tasks of at most N streamed bytes (16 N copied), run
                      in --workers K processes (default: one per core); resumable
  -h, --help          this help
Environment: LOG_LEVEL (debug, info, warn, error; default info), AWS_* for s3:// locations.

Job spec fields (JSON Schema: docs/job_spec.schema.json):
${fieldLines(JOB_SPEC_FIELDS)}
VocabInfo fields:
${fieldLines(VOCAB_INFO_FIELDS)}

Examples:
  main.ts warm-start --spec docs/sample/warm_start.json --dry-run
  main.ts warm-start --spec job.json --json > report.json

${EXIT_CODES}`,

  inspect: `Usage: main.ts inspect LOCATION [--json] [--verify] [--tensor NAME]...
       main.ts inspect diff A B [--json]

Lists a checkpoint's variables like tf.train.list_variables (LOCATION: a prefix, or a directory
with a "checkpoint" state file; local or s3://), with the total number of parameters.

Options:
  --tensor NAME   print the tensor's values like TensorFlow's inspect_checkpoint (repeatable)
  --verify        read every tensor and check its CRC32C
  --json          JSON output
  -h, --help      this help

Examples:
  main.ts inspect docs/sample/old/
  main.ts inspect docs/sample/old/model.ckpt-100 --tensor emb
  main.ts inspect diff docs/sample/new/model.ckpt-1 docs/sample/merged/model.ckpt-1

${EXIT_CODES}`,

  worker: `Usage: main.ts worker --stdio
       main.ts worker --queue URL [--max-idle-polls N]

Runs operations of split jobs (plan, task, commit, abort; see README.md "Scale-out").

Options:
  --stdio             one JSON message per line on stdin, one JSON answer per line on stdout
                      (the worker of "warm-start --workers K")
  --queue URL         long-poll this SQS queue for the Step Functions state machine's messages
                      (deploy/step_functions/warm_start.asl.json), answer with the task token
  --max-idle-polls N  stop after N empty polls in a row (default: run until stopped)
  -h, --help          this help
Environment: AWS_* for SQS, Step Functions and s3:// locations; WARM_START_ALLOWED.

${EXIT_CODES}`,

  "inspect-diff": `Usage: main.ts inspect diff A B [--json]

Compares two checkpoints: variables added, removed, reshaped, retyped, and for the rest whether
their bytes are equal (by the CRC32C stored in each index; no data is read).

Options:
  --json       JSON output: {"added", "removed", "reshaped", "retyped", "equal", "different"}
  -h, --help   this help

Example:
  main.ts inspect diff docs/sample/new/model.ckpt-1 docs/sample/merged/model.ckpt-1

${EXIT_CODES}`,
};

type Options = NonNullable<Parameters<typeof parseArgs>[0]>["options"];

const HELP_OPTION = { help: { type: "boolean", short: "h", default: false } } as const;

const OPTIONS: Record<string, Options> = {
  serve: { local: { type: "boolean", default: false }, ...HELP_OPTION },
  "warm-start": {
    spec: { type: "string" },
    "dry-run": { type: "boolean", default: false },
    local: { type: "boolean", default: false },
    json: { type: "boolean", default: false },
    "log-format": { type: "string", default: "auto" },
    workers: { type: "string" },
    "task-bytes": { type: "string" },
    ...HELP_OPTION,
  },
  worker: {
    stdio: { type: "boolean", default: false },
    queue: { type: "string" },
    "max-idle-polls": { type: "string" },
    ...HELP_OPTION,
  },
  inspect: {
    json: { type: "boolean", default: false },
    verify: { type: "boolean", default: false },
    tensor: { type: "string", multiple: true },
    ...HELP_OPTION,
  },
  "inspect-diff": { json: { type: "boolean", default: false }, ...HELP_OPTION },
};

/** The command's help text. */
export function helpText(command: string): string {
  return HELP[command] ?? USAGE;
}

/** parseArgs with the command's own options; its errors reworded in the command's words. */
function parse(command: string, args: string[]) {
  try {
    const { values, positionals } = parseArgs({
      args,
      options: OPTIONS[command],
      allowPositionals: true,
      strict: true,
    });
    return {
      values: values as Record<string, string | boolean | string[] | undefined>,
      positionals,
    };
  } catch (e) {
    const err = e as Error & { code?: string };
    const option = /'(-[^' ]*)/.exec(err.message)?.[1] ?? "";
    const name = command.replace("-diff", " diff");
    const what = err.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION"
      ? `unknown option ${option}`
      : err.code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE"
      ? `option ${option} needs a value`
      : err.message;
    throw new UsageError(`${name}: ${what} (see "main.ts ${name} --help")`, option || "argv");
  }
}

/** A positive integer option (at most `max`), or undefined when absent. */
function positiveInt(value: unknown, option: string, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = typeof value === "string" && /^[0-9]+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < 1 || n > max) {
    throw new UsageError(
      `${option} must be a whole number from 1 to ${max}, not "${value}"`,
      option,
    );
  }
  return n;
}

function noExtra(command: string, positionals: string[], allowed: number): void {
  if (positionals.length > allowed) {
    const name = command.replace("-diff", " diff");
    throw new UsageError(
      `${name}: unexpected argument "${positionals[allowed]}" (see "main.ts ${name} --help")`,
    );
  }
}

/**
 * Parses `args` (Deno.args).
 *
 * @param args the arguments after the script
 * @returns the command
 * @throws UsageError for unknown commands or options, or a missing argument
 */
export function parseCommand(args: string[]): Command {
  const first = args[0];
  if (first === "--version" || first === "-V") {
    noExtra("main.ts", args, 1);
    return { command: "version" };
  }
  if (first === "--help" || first === "-h" || first === "help") {
    const topic = args[1] === "inspect" && args[2] === "diff" ? "inspect-diff" : args[1];
    return { command: "help", text: topic ? helpText(topic) : USAGE };
  }
  let command = first === undefined || first.startsWith("-") ? "serve" : first;
  let rest = first === undefined || first.startsWith("-") ? args : args.slice(1);
  if (command === "inspect" && rest[0] === "diff") {
    [command, rest] = ["inspect-diff", rest.slice(1)];
  }
  if (!(command in OPTIONS)) {
    throw new UsageError(`Unknown command "${command}"\n\n${USAGE}`, "command");
  }
  const { values, positionals } = parse(command, rest);
  if (values.help) return { command: "help", text: helpText(command) };
  switch (command) {
    case "serve":
      noExtra(command, positionals, 0);
      return { command, local: values.local === true };
    case "warm-start": {
      noExtra(command, positionals, 0);
      if (typeof values.spec !== "string") {
        throw new UsageError(
          'warm-start needs --spec FILE (see "main.ts warm-start --help")',
          "--spec",
        );
      }
      const logFormat = values["log-format"] as string;
      if (!["auto", "json", "text"].includes(logFormat)) {
        throw new UsageError(
          `warm-start: --log-format must be auto, json or text, not "${logFormat}"`,
          "--log-format",
        );
      }
      const workers = positiveInt(values.workers, "--workers", 1024);
      const taskBytes = positiveInt(values["task-bytes"], "--task-bytes", Number.MAX_SAFE_INTEGER);
      return {
        command,
        spec: values.spec,
        dryRun: values["dry-run"] === true,
        local: values.local === true,
        json: values.json === true,
        logFormat: logFormat as LogFormat,
        ...(workers !== undefined ? { workers } : {}),
        ...(taskBytes !== undefined ? { taskBytes } : {}),
      };
    }
    case "worker": {
      noExtra(command, positionals, 0);
      const queue = values.queue;
      if (values.stdio === true && queue === undefined) return { command, stdio: true };
      if (typeof queue === "string" && values.stdio !== true) {
        const polls = positiveInt(values["max-idle-polls"], "--max-idle-polls", 1_000_000);
        return { command, queue, ...(polls !== undefined ? { maxIdlePolls: polls } : {}) };
      }
      throw new UsageError(
        'worker needs exactly one of --stdio or --queue URL (see "main.ts worker --help")',
        "--queue",
      );
    }
    case "inspect": {
      noExtra(command, positionals, 1);
      if (positionals[0] === undefined) {
        throw new UsageError(
          'inspect needs a checkpoint prefix or directory (see "main.ts inspect --help")',
          "LOCATION",
        );
      }
      return {
        command,
        location: positionals[0],
        json: values.json === true,
        verify: values.verify === true,
        tensors: (values.tensor as string[] | undefined) ?? [],
      };
    }
    default: {
      noExtra(command, positionals, 2);
      if (positionals.length < 2) {
        throw new UsageError(
          'inspect diff needs two checkpoints A and B (see "main.ts inspect diff --help")',
          positionals.length === 0 ? "A" : "B",
        );
      }
      return {
        command: "inspect-diff",
        a: positionals[0],
        b: positionals[1],
        json: values.json === true,
      };
    }
  }
}
