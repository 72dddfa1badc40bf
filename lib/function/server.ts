/**
 * `serve`: registers the schedules (Deno.cron), then serves the HTTP app until SIGINT/SIGTERM,
 * letting running jobs finish before exiting.
 *
 * @module
 */
import type { Store } from "../storage/mod.ts";
import { createHandler } from "./app.ts";
import type { FunctionConfig } from "./config.ts";
import type { WarmStartRunner } from "./job_runner.ts";
import { createLogger, type Logger } from "./log.ts";
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
  const handler = createHandler({ config, store: deps.store, run: deps.run, log });
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
  const stop = async () => {
    log("info", "shutting down; waiting for running jobs", { running: handler.runner.running });
    await server.shutdown();
    await handler.runner.idle();
    Deno.exit(0);
  };
  for (const signal of ["SIGINT", "SIGTERM"] as const) Deno.addSignalListener(signal, stop);
  return server;
}
