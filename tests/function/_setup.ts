/**
 * Route-test setup: a temporary directory served by the real FileStore, a config, and a handler
 * built with an injected engine.
 *
 * @module
 */
import { createHandler, type Handler } from "../../lib/function/mod.ts";
import { type FunctionConfig, loadConfig } from "../../lib/function/config.ts";
import type { Logger } from "../../lib/function/log.ts";
import { FileStore } from "../../lib/storage/file_store.ts";
import type { WarmStartRunner } from "../../lib/function/job_runner.ts";

/** The token route tests use. */
export const TOKEN = "test-token-0123456789abcdef";

/** A handler over a temp dir; `cleanup()` waits for jobs and removes the dir. */
export interface Setup {
  dir: string;
  store: FileStore;
  config: FunctionConfig;
  handler: Handler;
  logs: Array<Record<string, unknown>>;
  cleanup(): Promise<void>;
}

/** Builds a {@link Setup}; `env` adds configuration variables. */
export async function setup(
  run: WarmStartRunner,
  env: Record<string, string> = {},
): Promise<Setup> {
  const dir = await Deno.makeTempDir({ prefix: "wsf-function-" });
  const store = new FileStore();
  const config = loadConfig({
    env: (name) => ({ WARM_START_TOKEN: TOKEN, WARM_START_BASE_DIR: dir, ...env })[name],
    cwd: dir,
  });
  const logs: Array<Record<string, unknown>> = [];
  const log: Logger = (level, msg, fields = {}) => logs.push({ level, msg, ...fields });
  const handler = createHandler({ config, store, run, log });
  return {
    dir,
    store,
    config,
    handler,
    logs,
    async cleanup() {
      await handler.runner.idle();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** A request to the handler. */
export function request(
  path: string,
  init: {
    method?: string;
    body?: unknown;
    token?: string | null;
    headers?: Record<string, string>;
  } = {},
): Request {
  const headers: Record<string, string> = { ...init.headers };
  const token = init.token === undefined ? TOKEN : init.token;
  if (token !== null) headers.authorization = `Bearer ${token}`;
  const body = init.body === undefined
    ? undefined
    : typeof init.body === "string"
    ? init.body
    : JSON.stringify(init.body);
  return new Request(`http://function.test${path}`, {
    method: init.method ?? (body === undefined ? "GET" : "POST"),
    headers,
    body,
  });
}

/** A valid spec JSON with relative locations. */
export function sampleSpec(output = "merged/model.ckpt-1"): Record<string, unknown> {
  return {
    ckpt_to_initialize_from: "old/model.ckpt-100",
    new_checkpoint: "new/model.ckpt-1",
    output,
  };
}
