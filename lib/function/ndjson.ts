/**
 * Newline-delimited JSON streams: progress lines while a task runs, then one final line made
 * from its result or its error.
 *
 * @module
 */

/** Media type of NDJSON. */
export const NDJSON = "application/x-ndjson";

/** True when the request asks for NDJSON (`Accept: application/x-ndjson`). */
export function wantsNdjson(headers: Headers): boolean {
  return (headers.get("accept") ?? "").split(",").some((t) => t.trim().startsWith(NDJSON));
}

/**
 * A byte stream of JSON lines: whatever `task` emits, then `last(result)` or `failed(error)`.
 *
 * @param task the work; `emit` writes one line
 * @param last the final line for a result
 * @param failed the final line for an error
 */
export function ndjsonStream<T>(
  task: (emit: (value: unknown) => void) => Promise<T>,
  last: (result: T) => unknown,
  failed: (error: unknown) => unknown,
): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream<Uint8Array>({
    async start(controller) {
      let open = true;
      const emit = (value: unknown) => {
        if (!open) return;
        try {
          controller.enqueue(encoder.encode(JSON.stringify(value) + "\n"));
        } catch {
          open = false; // the client went away; the job goes on
        }
      };
      try {
        emit(last(await task(emit)));
      } catch (e) {
        emit(failed(e));
      }
      if (open) controller.close();
    },
  });
}
