/**
 * Reads a JSON request body under a size limit and a deadline. The limit is enforced on the bytes
 * actually received, not only on Content-Length (which a client may omit or get wrong); the
 * deadline (WARM_START_BODY_TIMEOUT_MS) on the whole body, so a client trickling bytes (slowloris)
 * gets 408 and its connection back instead of holding a request open. Deno.serve has no timeout
 * for reading request headers; this one starts when the headers are in.
 *
 * @module
 */
import { SpecError } from "../warmstart/mod.ts";
import { PayloadTooLargeError, RequestTimeoutError } from "./errors.ts";

/** One read of the body, or RequestTimeoutError once `deadline` (ms since epoch) has passed. */
function readBefore<T>(
  read: () => Promise<T>,
  deadline: number,
  timeoutMs: number,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new RequestTimeoutError(timeoutMs)),
      Math.max(0, deadline - Date.now()),
    );
  });
  return Promise.race([read(), late]).finally(() => clearTimeout(timer));
}

/**
 * The body's bytes, at most `limit` of them, all received within `timeoutMs`.
 *
 * @throws PayloadTooLargeError when the body is larger; RequestTimeoutError when it is late
 */
export async function readBodyBytes(
  req: Request,
  limit: number,
  timeoutMs = 30_000,
): Promise<Uint8Array> {
  const declared = Number(req.headers.get("content-length") ?? "NaN");
  if (Number.isFinite(declared) && declared > limit) throw new PayloadTooLargeError(limit);
  if (req.body === null) return new Uint8Array();
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = req.body.getReader();
  const deadline = Date.now() + timeoutMs;
  while (true) {
    let next: ReadableStreamReadResult<Uint8Array>;
    try {
      next = await readBefore(() => reader.read(), deadline, timeoutMs);
    } catch (e) {
      await reader.cancel().catch(() => {});
      throw e;
    }
    const { done, value } = next;
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel().catch(() => {});
      throw new PayloadTooLargeError(limit);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

/**
 * Parses the body as JSON.
 *
 * @throws SettingsError (kind "spec", field "(body)") with the parser's reason for invalid JSON
 * @throws PayloadTooLargeError when the body exceeds `limit`; RequestTimeoutError when late
 */
export async function readJsonBody(
  req: Request,
  limit: number,
  timeoutMs?: number,
): Promise<unknown> {
  const bytes = await readBodyBytes(req, limit, timeoutMs);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new SpecError("Invalid JSON body: not UTF-8", { field: "(body)" });
  }
  if (text.trim() === "") {
    throw new SpecError("Invalid JSON body: empty (send the job spec)", {
      field: "(body)",
    });
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new SpecError(`Invalid JSON body: ${String((e as Error).message).slice(0, 200)}`, {
      field: "(body)",
    });
  }
}
