/**
 * `serve`: registers the schedules (Deno.cron), then serves the HTTP app until SIGINT/SIGTERM.
 * Shutdown has a deadline: the server stops accepting connections at once, running jobs get
 * WARM_START_SHUTDOWN_GRACE_MS to finish, then every job still running is aborted (it publishes
 * nothing; its store refuses every call but the deletes of its cleanup), and the process exits
 * at most a second later whatever is still pending (a request stuck in a slow read included).
 *
 * @module
 */
import type { Store } from "../storage/mod.ts";
import { createHandler } from "./app.ts";
import type { FunctionConfig } from "./config.ts";
import type { WarmStartRunner } from "./job_runner.ts";
import { ShuttingDownError } from "./errors.ts";
import { createLogger, type Logger } from "./log.ts";
import { exitProcess } from "./process_exit.ts";
import { withTelemetry } from "./telemetry.ts";
import { type CronFn, registerSchedules } from "./schedules.ts";

/** What {@link serve} needs. */
export interface ServeDeps {
  /** The base store. */
  store: Store;
  /** The engine. */
  run: WarmStartRunner;
  /** Deno.cron, when available. */
  cron?: CronFn;
  /** Structured log sink (default: JSON lines on stderr). */
  log?: Logger;
}

/**
 * Serves on `config.port` (127.0.0.1 only in local mode without a token).
 *
 * @param config the function configuration
 * @param deps store, engine, cron
 * @returns the running server
 */
export function serve(config: FunctionConfig, deps: ServeDeps): Deno.HttpServer {
  // Job lines also become spans and metrics (OTEL_DENO=true), see telemetry.ts.
  const log = withTelemetry(deps.log ?? createLogger());
  for (const w of config.warnings) log("warn", w);
  const handler = createHandler({
    config,
    store: deps.store,
    run: deps.run,
    log,
    port: config.port,
  });
  if (config.schedules.length > 0) {
    if (deps.cron === undefined) {
      log("warn", "Deno.cron is unavailable (run with --unstable-cron); schedules are off");
    } else {
      registerSchedules(config, {
        cron: deps.cron,
        store: deps.store,
        runner: handler.runner,
        log,
      });
    }
  }
  const hostname = config.local && config.token === undefined ? "127.0.0.1" : "0.0.0.0";
  const server = Deno.serve({
    port: config.port,
    hostname,
    onListen: ({ port }) => log("info", "listening", { hostname, port, local: config.local }),
  }, handler);
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    const { runner } = handler;
    log("info", "shutting down; waiting for running jobs", {
      running: runner.running,
      graceMs: config.shutdownGraceMs,
    });
    const closed = server.shutdown(); // stops accepting now; waits for open requests
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    const idle = runner.idle();
    await Promise.race([idle, sleep(config.shutdownGraceMs)]);
    if (runner.running > 0 || runner.queued > 0) {
      log("warn", "shutdown grace over; aborting running jobs", { running: runner.running });
      runner.abortAll(new ShuttingDownError());
    }
    // Aborted jobs answer at once; their cleanup and the last responses get a moment more.
    await Promise.race([Promise.all([idle, closed]), sleep(1000)]);
    await exitProcess(0);
  };
  for (const signal of ["SIGINT", "SIGTERM"] as const) Deno.addSignalListener(signal, stop);
  return server;
}
