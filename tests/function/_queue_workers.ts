/**
 * Queue worker PROCESSES for the Step Functions tests: `deno run -A main.ts worker --queue URL`,
 * each with its structured log lines (stderr) collected, so a test can wait for "operation started" of a given
 * op and SIGKILL that very worker. Only processes started here are stopped, by their handle.
 *
 * @module
 */

import { stopChild } from "../_child.ts";
const MAIN = new URL("../../main.ts", import.meta.url).pathname;

/** One log line of a worker (its JSON fields). */
export type LogLine = Record<string, unknown> & { msg: string; worker: number };

/** A pool of worker processes on one queue. */
export interface WorkerPool {
  /** Every log line of every worker so far. */
  readonly lines: LogLine[];
  /** Number of processes started so far (ids 0..n-1). */
  readonly started: number;
  /** Starts one more worker; returns its id. */
  spawn(): number;
  /** Waits (bounded) for a line matching `match`; returns it. */
  waitFor(match: (l: LogLine) => boolean, timeoutMs: number): Promise<LogLine>;
  /** SIGKILLs worker `id` and waits for it to exit. */
  kill(id: number): Promise<void>;
  /** SIGTERMs worker `id` and waits for it to exit (SIGKILL after 5 s); returns its exit code. */
  terminate(id: number): Promise<number>;
  /** SIGTERMs every live worker (SIGKILL after 5 s) and waits for them. */
  stop(): Promise<void>;
}

/**
 * Starts `k` workers on `queueUrl` with `env` (AWS_* of the test server, WARM_START_* knobs).
 *
 * @param queueUrl the queue
 * @param env their environment (added to this process's)
 * @param k how many
 */
export function startWorkers(
  queueUrl: string,
  env: Record<string, string>,
  k: number,
): WorkerPool {
  const lines: LogLine[] = [];
  const children = new Map<
    number,
    { child: Deno.ChildProcess; done: Promise<[Deno.CommandStatus, void]> }
  >();
  const waiters = new Set<() => void>();
  let next = 0;

  function spawn(): number {
    const id = next++;
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--no-check", MAIN, "worker", "--queue", queueUrl],
      env,
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    const onLine = (text: string) => {
      let line: LogLine;
      try {
        line = { ...JSON.parse(text), worker: id };
      } catch {
        line = { msg: text, worker: id };
      }
      lines.push(line);
      for (const w of [...waiters]) w();
    };
    let rest = "";
    const reading = child.stderr
      .pipeThrough(new TextDecoderStream())
      .pipeTo(
        new WritableStream({
          write(chunk) {
            const parts = (rest + chunk).split("\n");
            rest = parts.pop()!;
            for (const p of parts) if (p.trim() !== "") onLine(p);
          },
          close() {
            if (rest.trim() !== "") onLine(rest);
          },
        }),
      ).catch(() => {});
    children.set(id, { child, done: Promise.all([child.status, reading]) });
    return id;
  }

  async function end(id: number, signal: Deno.Signal): Promise<number> {
    const c = children.get(id);
    if (!c) return -1;
    const [status] = await stopChild(c.child, 5000, c.done, signal);
    children.delete(id);
    return status.code;
  }

  for (let i = 0; i < k; i++) spawn();
  return {
    lines,
    get started() {
      return next;
    },
    spawn,
    waitFor(match, timeoutMs) {
      const found = lines.find(match);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const check = () => {
          const l = lines.find(match);
          if (!l) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(l);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no worker log line matched within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(check);
      });
    },
    kill: async (id) => {
      await end(id, "SIGKILL");
    },
    terminate: (id) => end(id, "SIGTERM"),
    async stop() {
      await Promise.all([...children.keys()].map((id) => end(id, "SIGTERM")));
    },
  };
}
