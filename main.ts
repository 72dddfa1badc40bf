/**
 * The warm-start function's entry point: the command line picks serving (HTTP API, event
 * triggers, schedules) or one CLI command. See README.md, or `main.ts --help`.
 *
 * ```
 * deno task start [--local]                      # serve on PORT (default 8000)
 * deno task warm-start --spec FILE [--dry-run]   # one job; progress on stderr, report on stdout
 * deno task inspect LOCATION [--tensor NAME]     # list a checkpoint, print tensors
 * deno task inspect diff A B                     # compare two checkpoints
 * main.ts worker --stdio | --queue URL            # tasks of split jobs (a pool's, a queue's)
 * ```
 *
 * @module
 */
import {
  atLevel,
  cliInspect,
  cliInspectDiff,
  cliQueueWorker,
  cliWarmStart,
  createLogger,
  type CronFn,
  exitProcess,
  loadConfig,
  outcomeOf,
  parseCommand,
  parseLogLevel,
  runStdioWorker,
  RUNTIME_FLAGS,
  serve,
} from "./lib/function/mod.ts";
import { defaultStore, parseAllowList } from "./lib/storage/mod.ts";
import { runWarmStart } from "./lib/warmstart/mod.ts";
import pkg from "./deno.json" with { type: "json" };

if (import.meta.main) {
  const env = (name: string) => Deno.env.get(name);
  try {
    const command = parseCommand(Deno.args);
    if (command.command === "help") console.log(command.text);
    else if (command.command === "version") console.log(`warm-start ${pkg.version}`);
    else {
      // The pool worker is this same program (`--workers K`).
      const workerCommand = [
        Deno.execPath(),
        "run",
        "-A",
        ...RUNTIME_FLAGS,
        new URL(import.meta.url).pathname,
        "worker",
        "--stdio",
      ];
      const deps = { store: defaultStore(), run: runWarmStart, env, workerCommand };
      if (command.command === "warm-start") await exitProcess(await cliWarmStart(command, deps));
      else if (command.command === "worker" && "stdio" in command) {
        const allowed = env("WARM_START_ALLOWED");
        await runStdioWorker({
          store: deps.store,
          ...(allowed ? { allowed: parseAllowList(allowed, Deno.cwd()) } : {}),
        });
        await exitProcess(0);
      } else if (command.command === "worker") {
        await exitProcess(await cliQueueWorker(command, deps));
      } else if (command.command === "inspect") await exitProcess(await cliInspect(command, deps));
      else if (command.command === "inspect-diff") {
        await exitProcess(await cliInspectDiff(command, deps));
      } else {
        const config = loadConfig({ env, local: command.local, cwd: Deno.cwd() });
        const cron = typeof Deno.cron === "function" ? (Deno.cron as unknown as CronFn) : undefined;
        const log = atLevel(createLogger(), parseLogLevel(env("LOG_LEVEL")));
        serve(config, { ...deps, cron, log });
      }
    }
  } catch (e) {
    console.error((e as Error).message);
    await exitProcess(outcomeOf(e).exitCode);
  }
}
