/**
 * Command-line arguments of main.ts:
 *
 * ```
 * deno task start [--local]                         # serve (the default command)
 * deno task warm-start --spec FILE [--dry-run]      # run one job, report on stdout
 * deno task inspect LOCATION [--json] [--verify]    # list (and verify) a checkpoint
 * ```
 *
 * @module
 */
import { parseArgs } from "node:util";
import { UsageError } from "./errors.ts";

/** A parsed command line. */
export type Command =
  | { command: "serve"; local: boolean }
  | { command: "warm-start"; spec: string; dryRun: boolean; local: boolean }
  | { command: "inspect"; location: string; json: boolean; verify: boolean }
  | { command: "help" };

/** Usage text. */
export const USAGE = `Usage:
  main.ts [serve] [--local]                  serve the HTTP API (PORT, default 8000)
  main.ts warm-start --spec FILE [--dry-run] run one job; JSON report on stdout, progress on stderr
  main.ts inspect LOCATION [--json] [--verify]
                                             list a checkpoint's variables (--verify: check CRCs)
Exit codes: 0 done, 2 invalid spec or settings (nothing written), 1 any other failure.`;

/**
 * Parses `args` (Deno.args).
 *
 * @param args the arguments after the script
 * @returns the command
 * @throws UsageError for unknown commands or options, or a missing argument
 */
export function parseCommand(args: string[]): Command {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        spec: { type: "string" },
        "dry-run": { type: "boolean", default: false },
        local: { type: "boolean", default: false },
        json: { type: "boolean", default: false },
        verify: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
    });
  } catch (e) {
    throw new UsageError(`${(e as Error).message}\n${USAGE}`);
  }
  const { values, positionals } = parsed;
  if (values.help) return { command: "help" };
  const command = positionals[0] ?? "serve";
  const extra = (from: number) => {
    if (positionals.length > from) {
      throw new UsageError(`Unexpected argument "${positionals[from]}"\n${USAGE}`);
    }
  };
  if (command === "serve") {
    extra(1);
    return { command, local: values.local === true };
  }
  if (command === "warm-start") {
    extra(1);
    if (!values.spec) throw new UsageError(`warm-start needs --spec FILE\n${USAGE}`, "--spec");
    return {
      command,
      spec: values.spec,
      dryRun: values["dry-run"] === true,
      local: values.local === true,
    };
  }
  if (command === "inspect") {
    extra(2);
    const location = positionals[1];
    if (location === undefined) {
      throw new UsageError(`inspect needs a checkpoint directory or prefix\n${USAGE}`, "LOCATION");
    }
    return { command, location, json: values.json === true, verify: values.verify === true };
  }
  throw new UsageError(`Unknown command "${command}"\n${USAGE}`);
}
