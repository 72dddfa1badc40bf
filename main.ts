/**
 * The warm-start function's entry point: the command line picks serving (HTTP API, event
 * triggers, schedules) or one CLI command. See README.md.
 *
 * ```
 * deno task start [--local]                      # serve on PORT (default 8000)
 * deno task warm-start --spec FILE [--dry-run]   # one job; report on stdout, progress on stderr
 * deno task inspect LOCATION [--json] [--verify] # list a checkpoint
 * ```
 *
 * @module
 */
import {
  cliInspect,
  cliWarmStart,
  type CronFn,
  loadConfig,
  outcomeOf,
  parseCommand,
  serve,
  USAGE,
} from "./lib/function/mod.ts";
import { defaultStore } from "./lib/storage/mod.ts";
import { runWarmStart } from "./lib/warmstart/mod.ts";

if (import.meta.main) {
  const env = (name: string) => Deno.env.get(name);
  const deps = { store: defaultStore(), run: runWarmStart, env };
  try {
    const command = parseCommand(Deno.args);
    if (command.command === "help") console.log(USAGE);
    else if (command.command === "warm-start") Deno.exit(await cliWarmStart(command, deps));
    else if (command.command === "inspect") Deno.exit(await cliInspect(command, deps));
    else {
      const config = loadConfig({ env, local: command.local, cwd: Deno.cwd() });
      const cron = typeof Deno.cron === "function" ? (Deno.cron as unknown as CronFn) : undefined;
      serve(config, { ...deps, cron });
    }
  } catch (e) {
    console.error((e as Error).message);
    Deno.exit(outcomeOf(e).exitCode);
  }
}
