/**
 * Command-line arguments of main.ts:
 *
 * ```
 * deno task start [--local]                         # serve (the default command)
 * deno task warm-start --spec FILE [--dry-run]      # run one job, report on stdout
 * ```
 *
 * @module
 */
import { parseArgs } from "node:util";
import { SettingsError } from "../errors.ts";

/** A parsed command line. */
export type Command =
  | { command: "serve"; local: boolean }
  | { command: "warm-start"; spec: string; dryRun: boolean; local: boolean }
  | { command: "help" };

/** Usage text. */
export const USAGE = `Usage:
  main.ts [serve] [--local]                 serve the HTTP API (PORT, default 8000)
  main.ts warm-start --spec FILE [--dry-run] run one job; JSON report on stdout, progress on stderr
Exit codes: 0 done, 2 invalid spec or settings (nothing written), 1 any other failure.`;

/**
 * Parses `args` (Deno.args).
 *
 * @throws SettingsError (kind "spec", field "argv") for unknown commands or options
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
        help: { type: "boolean", short: "h", default: false },
      },
    });
  } catch (e) {
    throw new SettingsError(`${(e as Error).message}\n${USAGE}`, { field: "argv", kind: "spec" });
  }
  const { values, positionals } = parsed;
  if (values.help) return { command: "help" };
  const command = positionals[0] ?? "serve";
  if (positionals.length > 1) {
    throw new SettingsError(`Unexpected argument "${positionals[1]}"\n${USAGE}`, {
      field: "argv",
      kind: "spec",
    });
  }
  if (command === "serve") return { command, local: values.local === true };
  if (command === "warm-start") {
    if (!values.spec) {
      throw new SettingsError(`warm-start needs --spec FILE\n${USAGE}`, {
        field: "--spec",
        kind: "spec",
      });
    }
    return {
      command,
      spec: values.spec,
      dryRun: values["dry-run"] === true,
      local: values.local === true,
    };
  }
  throw new SettingsError(`Unknown command "${command}"\n${USAGE}`, {
    field: "argv",
    kind: "spec",
  });
}
