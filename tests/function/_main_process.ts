/**
 * Runs main.ts as a subprocess (the CLI, or the server) with a controlled environment.
 *
 * @module
 */

import { killAfter, stopChild } from "../_child.ts";
/** Path of main.ts. */
export const MAIN = new URL("../../main.ts", import.meta.url).pathname;

/**
 * What a child Deno needs from this environment to work offline-first like this one: its module
 * cache and the TLS roots of the machine's registry proxy (for packages loaded lazily).
 */
export function passThroughEnv(): Record<string, string> {
  const out: Record<string, string> = {};
  for (
    const name of [
      "DENO_DIR",
      "DENO_CERT",
      "NODE_EXTRA_CA_CERTS",
      "SSL_CERT_FILE",
      "SSL_CERT_DIR",
      "HTTPS_PROXY",
      "HTTP_PROXY",
      "NO_PROXY",
    ]
  ) {
    const value = Deno.env.get(name);
    if (value !== undefined) out[name] = value;
  }
  return out;
}

/** The output of one CLI run. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `deno run -A main.ts ...args` in `cwd` with `env` (no inherited WARM_START_*). */
export async function runCli(
  args: string[],
  options: { cwd?: string; env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<CliResult> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...args],
    cwd: options.cwd,
    env: {
      NO_COLOR: "1",
      PATH: Deno.env.get("PATH") ?? "",
      HOME: Deno.env.get("HOME") ?? "/tmp",
      ...passThroughEnv(),
      ...options.env,
    },
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  // Bounded when asked: SIGKILL after `timeoutMs` (a Deno hung at exit catches SIGTERM).
  const cancel = options.timeoutMs ? killAfter(child, options.timeoutMs) : undefined;
  const out = await child.output().finally(() => cancel?.());
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** A running `main.ts serve`. */
export interface ServerProcess {
  url: string;
  port: number;
  /** The server's process id (for its memory in /proc, or a signal). */
  pid: number;
  /** Everything the server logged so far (JSON lines). */
  logs(): string;
  /** SIGTERM, then wait (SIGKILL after a minute); returns the exit code. */
  stop(): Promise<number>;
}

/** Starts `deno run -A --unstable-cron main.ts serve` and waits until /healthz answers. */
export async function startServer(
  env: Record<string, string>,
  options: { args?: string[]; cwd?: string } = {},
): Promise<ServerProcess> {
  const port = freePort();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--unstable-cron", MAIN, "serve", ...(options.args ?? [])],
    cwd: options.cwd,
    env: {
      NO_COLOR: "1",
      PATH: Deno.env.get("PATH") ?? "",
      HOME: Deno.env.get("HOME") ?? "/tmp",
      ...passThroughEnv(),
      ...env,
      PORT: String(port),
    },
    clearEnv: true,
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let logs = "";
  const pump = (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of child.stderr) logs += decoder.decode(chunk, { stream: true });
  })();
  let exited = false;
  const status = child.status.then((s) => {
    exited = true;
    return s;
  });
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    // Bounded: a server still there a minute after SIGTERM is killed (and its code is 137).
    const s = await stopChild(child, 60_000, status);
    await pump;
    return s.code;
  };
  for (let i = 0; i < 300; i++) {
    if (exited) break;
    try {
      const res = await fetch(`${url}/healthz`);
      await res.body?.cancel();
      if (res.ok) return { url, port, pid: child.pid, logs: () => logs, stop };
    } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 50));
  }
  await stop();
  throw new Error(`server did not start:\n${logs}`);
}
