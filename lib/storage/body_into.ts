/**
 * Reads a response body into the caller's buffer. A byte stream (fetch's bodies: fetch_gets.ts)
 * is read with a BYOB reader into a small staging buffer reused from read to read, then copied:
 * no allocation per chunk, so a job streaming gigabytes leaves no garbage behind (a default
 * reader hands out a fresh buffer per chunk, which the collector frees late). The staging
 * buffer, not the caller's, goes to the reader because a BYOB read detaches the buffer it
 * fills, and the caller's is usually a view of the job's one memory arena.
 *
 * @module
 */

/** Staging buffers free for reuse (one per read in flight, at most {@link POOL} kept). */
const free: ArrayBuffer[] = [];
const STAGE_BYTES = 256 * 1024;
const POOL = 32;

/**
 * Copies `body` into `out` and returns how many bytes it had, or `out.length + 1` as soon as it
 * has more than `out` holds (the rest is not read).
 */
export async function readBodyInto(
  body: ReadableStream<Uint8Array>,
  out: Uint8Array,
): Promise<number> {
  let got = 0;
  let byob: ReadableStreamBYOBReader | undefined;
  try {
    byob = body.getReader({ mode: "byob" });
  } catch {
    // Not a byte stream (the SDK's node:http bodies): chunk by chunk.
    for await (const c of body) {
      if (got + c.length > out.length) return out.length + 1;
      out.set(c, got);
      got += c.length;
    }
    return got;
  }
  let stage: ArrayBuffer | undefined = free.pop() ?? new ArrayBuffer(STAGE_BYTES);
  try {
    for (;;) {
      const { value, done } = await byob.read(new Uint8Array(stage!));
      stage = value?.buffer as ArrayBuffer | undefined; // the same memory, handed back
      if (done) return got;
      if (got + value.length > out.length) {
        await byob.cancel().catch(() => {});
        return out.length + 1;
      }
      out.set(value, got);
      got += value.length;
    }
  } finally {
    try {
      byob.releaseLock();
    } catch { /* a read still pending (it timed out): the stream is dropped with it */ }
    // (A read that failed kept its buffer: a detached stage is not pooled.)
    if (stage && stage.byteLength === STAGE_BYTES && free.length < POOL) free.push(stage);
  }
}
