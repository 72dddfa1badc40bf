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
  let buffer = "";
  const decoder = new TextDecoder();
  const answer = async (line: string) => {
    let a: WorkerAnswer;
    try {
      if (line.length > MAX_LINE) throw new RangeError("message line too long");
      const result = await runJobOp(JSON.parse(line), {
        store: deps.store,
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
    await out(JSON.stringify(a) + "\n");
    answered++;
  };
  for await (const chunk of input) {
    buffer += decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = buffer.indexOf("\n")) >= 0) {
      const line = buffer.slice(0, nl).trim();
      buffer = buffer.slice(nl + 1);
      if (line !== "") await answer(line);
    }
    if (buffer.length > MAX_LINE) {
      buffer = "";
      await answer("x".repeat(MAX_LINE + 1));
    }
  }
  if (buffer.trim() !== "") await answer(buffer.trim());
  return answered;
}
