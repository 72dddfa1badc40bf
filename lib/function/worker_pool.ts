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
  /** A worker that has not answered a task in this long is killed, the task rerun (6 h). */
  taskTimeoutMs?: number;
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

function kill(w: Worker): void {
  try {
    w.process.kill("SIGKILL");
  } catch { /* already gone */ }
}

/** The worker's next answer line, within `ms`. */
async function nextLine(w: Worker, ms: number): Promise<string> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const next = await Promise.race([
      w.lines.next(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms);
      }),
    ]);
    if (next.done) throw new Error("worker exited");
    return next.value;
  } finally {
    clearTimeout(timer);
  }
}

/** An answer line as {@link WorkerAnswer}; anything else is a protocol error. */
function parseAnswer(line: string): WorkerAnswer {
  const a = JSON.parse(line) as WorkerAnswer;
  if (a?.ok === true) return a;
  const e = (a as { error?: Record<string, unknown> } | null)?.error;
  if (a?.ok === false && typeof e?.name === "string" && typeof e.message === "string") {
    return {
      ok: false,
      error: { name: e.name, message: e.message, retryable: e.retryable === true },
    };
  }
  throw new Error(`not a worker answer: ${line.slice(0, 200)}`);
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
      for (const w of workers) kill(w);
    };
    const taskTimeoutMs = options.taskTimeoutMs ?? 6 * 3600_000;
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
            answer = parseAnswer(await nextLine(w, taskTimeoutMs));
          } catch (e) {
            // The worker died, hung or spoke out of turn: it goes (killed: nothing of it is
            // left waiting), and its task runs again in a new one.
            answer = {
              ok: false,
              error: { name: "WorkerFailed", message: String(e), retryable: true },
            };
            workers.delete(w);
            kill(w);
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
          // A worker that fails the same task every time fails it for good (a rerun would too).
          const error = answer.error.name === "WorkerFailed"
            ? { ...answer.error, retryable: false }
            : answer.error;
          failure ??= new WorkerTaskError(task, error);
        }
      } finally {
        workers.delete(w);
        await w.writer.close().catch(() => {});
        if (failure) kill(w);
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
