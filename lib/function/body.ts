/**
 * Reads a JSON request body under a size limit. The limit is enforced on the bytes actually
 * received, not only on Content-Length (which a client may omit or get wrong).
 *
 * @module
 */
import { SpecError } from "../warmstart/mod.ts";
import { PayloadTooLargeError } from "./errors.ts";

/**
 * The body's bytes, at most `limit` of them.
 *
 * @throws PayloadTooLargeError when the body is larger
 */
export async function readBodyBytes(req: Request, limit: number): Promise<Uint8Array> {
  const declared = Number(req.headers.get("content-length") ?? "NaN");
  if (Number.isFinite(declared) && declared > limit) throw new PayloadTooLargeError(limit);
  if (req.body === null) return new Uint8Array();
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = req.body.getReader();
  while (true) {
    const { done, value } = await reader.read();
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
 * @throws PayloadTooLargeError when the body exceeds `limit`
 */
export async function readJsonBody(req: Request, limit: number): Promise<unknown> {
  const bytes = await readBodyBytes(req, limit);
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
    throw new SpecError(`Invalid JSON body: ${(e as Error).message}`, {
      field: "(body)",
    });
  }
}
