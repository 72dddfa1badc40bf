/**
 * `main.ts worker --stdio`: a pool worker. Reads one job message per line on stdin (a JSON
 * {@link JobMessage}: a task of a split job, usually), runs it, and answers one JSON line on
 * stdout — `{"ok": true, "result": …}` or `{"ok": false, "error": {name, message, retryable}}`
 * (the outcome table says whether a retry helps). Ends at the end of its input. Logs go to
 * stderr. A bad line is answered with a non-retryable error; the worker goes on.
 *
 * @module
 */
import type { Store } from "../storage/mod.ts";
import { runJobOp } from "../warmstart/mod.ts";
import { errorBody, outcomeOf } from "./outcome.ts";

/** One answer line of a pool worker. */
export type WorkerAnswer =
  | { ok: true; result: unknown }
  | { ok: false; error: { name: string; message: string; retryable: boolean } };

/** Stands for a line over {@link MAX_LINE} in the queue of lines (answered as an error). */
const TOO_LONG = "\u0000too long";

/** How often a worker checks that its parent still runs (ms). */
const ORPHAN_CHECK_MS = 250;

/** Longest request line a worker reads (a message is small: `{op, job, task}`). */
const MAX_LINE = 1 << 20;

/**
 * Serves job messages from `input` until it ends.
 *
 * @param deps the base store, allowed prefixes, and the streams (default: Deno's stdin/stdout)
 * @returns the number of messages answered
 */
export async function runStdioWorker(deps: {
  store: Store;
  allowed?: readonly string[];
  input?: ReadableStream<Uint8Array>;
  write?: (line: string) => Promise<void>;
}): Promise<number> {
  const input = deps.input ?? Deno.stdin.readable;
  const encoder = new TextEncoder();
  const out = deps.write ?? (async (line: string) => {
    const bytes = encoder.encode(line);
    for (let at = 0; at < bytes.length;) at += await Deno.stdout.write(bytes.subarray(at));
  });
  let answered = 0;
  // A worker whose parent died (a pool killed with SIGKILL) aborts the task it runs rather than
  // finish it for nobody: an orphan would write into a job its rerun may already have closed.
  const controller = new AbortController();
  const parent = Deno.ppid;
  const orphaned = setInterval(() => {
    if (Deno.ppid !== parent) controller.abort(new Error("the worker's parent is gone"));
  }, ORPHAN_CHECK_MS);
  const lines: string[] = [];
  let ended = false;
  let wake: (() => void) | undefined;
  const reading = (async () => {
    const decoder = new TextDecoder();
    let buffer = "";
    try {
      let skipping = false; // the rest of a line over the limit, answered once already
      for await (const chunk of input) {
        buffer += decoder.decode(chunk, { stream: true });
        let nl: number;
        while ((nl = buffer.indexOf("\n")) >= 0) {
          const line = buffer.slice(0, nl).trim();
          buffer = buffer.slice(nl + 1);
          if (skipping) skipping = false;
          else if (line.length > MAX_LINE) lines.push(TOO_LONG);
          else if (line !== "") lines.push(line);
        }
        if (buffer.length > MAX_LINE) {
          buffer = "";
          if (!skipping) lines.push(TOO_LONG);
          skipping = true;
        }
        wake?.();
      }
      if (buffer.trim() !== "" && !skipping) lines.push(buffer.trim());
    } finally {
      ended = true;
      wake?.();
    }
  })();
  const answer = async (line: string) => {
    let a: WorkerAnswer;
    try {
      if (line === TOO_LONG) throw new RangeError(`message line over ${MAX_LINE} bytes`);
      const result = await runJobOp(JSON.parse(line), {
        store: deps.store,
        signal: controller.signal,
        ...(deps.allowed ? { allowed: deps.allowed } : {}),
      });
      a = { ok: true, result };
    } catch (e) {
      const body = errorBody(e).error;
      a = {
        ok: false,
        error: {
          name: String(body.type ?? (e as Error)?.name ?? "Error"),
          message: String(body.message ?? e),
          retryable: outcomeOf(e).retryable,
        },
      };
    }
    await out(JSON.stringify(a) + "\n").catch(() => {});
    answered++;
  };
  while (true) {
    const line = lines.shift();
    if (line !== undefined) {
      await answer(line);
      continue;
    }
    if (ended) break;
    await new Promise<void>((r) => wake = r);
    wake = undefined;
    if (ended && lines.length === 0) break;
  }
  clearInterval(orphaned);
  await reading;
  return answered;
}
