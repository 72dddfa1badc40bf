/**
 * `warm-start --workers K`: runs a split job's tasks in K worker processes (`main.ts worker
 * --stdio`, stdio_worker.ts), each fed one task at a time. A task that fails retryably, or whose
 * worker died, runs again (at most `retries` times; a worker that died is replaced); any other
 * failure stops the pool and fails the job — its finished tasks stay, so a rerun resumes.
 *
 * @module
 */
import { StorageError } from "../storage/mod.ts";
import type { WorkerAnswer } from "./stdio_worker.ts";

/** Options of {@link workerPool}. */
export interface WorkerPoolOptions {
  /** Worker processes. */
  workers: number;
  /** The worker command: program and arguments (main.ts passes `worker --stdio`). */
  command: string[];
  /** Reruns of one task after a retryable failure (default 2). */
  retries?: number;
  /** Stops the pool (workers are killed). */
  signal?: AbortSignal;
  /** Progress: a task finished. */
  onTask?: (task: number, done: number, total: number) => void;
}

/** A task failed for good in a pool worker (retryable: a rerun of the job may still succeed). */
export class WorkerTaskError extends StorageError {
  /**
   * Creates the error.
   *
   * @param task the task
   * @param error the worker's answer
   */
  constructor(
    readonly task: number,
    readonly error: { name: string; message: string; retryable: boolean },
  ) {
    super(`task ${task}: ${error.name}: ${error.message}`, { retryable: error.retryable });
    this.name = "WorkerTaskError";
  }
}

interface Worker {
  process: Deno.ChildProcess;
  writer: WritableStreamDefaultWriter<Uint8Array>;
  lines: AsyncIterator<string>;
}

async function* linesOf(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const chunk of stream) {
    buffer += decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = buffer.indexOf("\n")) >= 0) {
      yield buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
    }
  }
}

function spawn(command: string[]): Worker {
  const process = new Deno.Command(command[0], {
    args: command.slice(1),
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  return {
    process,
    writer: process.stdin.getWriter(),
    lines: linesOf(process.stdout)[Symbol.asyncIterator](),
  };
}

/**
 * A runner of a split job's tasks in worker processes (run.ts `split.runTasks`).
 *
 * @param options workers, command, retries
 * @returns the runner: true once every task ran (fewer than two tasks: false, they run in-process)
 */
export function workerPool(
  options: WorkerPoolOptions,
): (job: string, tasks: number[]) => Promise<boolean> {
  return async (job, tasks) => {
    const k = Math.min(options.workers, tasks.length);
    if (k < 2) return false;
    const queue = [...tasks];
    const attempts = new Map<number, number>();
    const retries = options.retries ?? 2;
    let done = 0;
    let failure: Error | undefined;
    const workers = new Set<Worker>();
    const stopAll = () => {
      for (const w of workers) {
        try {
          w.process.kill("SIGKILL");
        } catch { /* already gone */ }
      }
    };
    options.signal?.addEventListener("abort", stopAll, { once: true });
    const encoder = new TextEncoder();
    const lane = async () => {
      let w = spawn(options.command);
      workers.add(w);
      try {
        while (!failure && queue.length > 0) {
          const task = queue.shift()!;
          let answer: WorkerAnswer;
          try {
            await w.writer.write(encoder.encode(JSON.stringify({ op: "task", job, task }) + "\n"));
            const next = await w.lines.next();
            if (next.done) throw new Error("worker exited");
            answer = JSON.parse(next.value) as WorkerAnswer;
          } catch (e) {
            // The worker died (killed, crashed): its task runs again in a new one.
            answer = {
              ok: false,
              error: { name: "WorkerExited", message: String(e), retryable: true },
            };
            workers.delete(w);
            await w.process.status.catch(() => {});
            if (failure || options.signal?.aborted) break;
            w = spawn(options.command);
            workers.add(w);
          }
          if (answer.ok) {
            done++;
            options.onTask?.(task, done, tasks.length);
            continue;
          }
          const n = (attempts.get(task) ?? 0) + 1;
          attempts.set(task, n);
          if (answer.error.retryable && n <= retries && !options.signal?.aborted) {
            queue.push(task);
            continue;
          }
          failure ??= new WorkerTaskError(task, answer.error);
        }
      } finally {
        workers.delete(w);
        await w.writer.close().catch(() => {});
        if (failure) {
          try {
            w.process.kill("SIGKILL");
          } catch { /* gone */ }
        }
        await w.process.status.catch(() => {});
      }
    };
    try {
      await Promise.all(Array.from({ length: k }, lane));
    } finally {
      options.signal?.removeEventListener("abort", stopAll);
      stopAll();
    }
    options.signal?.throwIfAborted();
    if (failure) throw failure;
    return true;
  };
}
