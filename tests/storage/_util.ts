/**
 * Small helpers shared by the storage tests.
 *
 * @module
 */
import assert from "node:assert/strict";
import { ListMultipartUploadsCommand, type S3Client } from "@aws-sdk/client-s3";

/** 1 MiB. */
export const MiB = 1024 * 1024;

/** `n` random bytes (crypto.getRandomValues in 64 KiB chunks). */
export function randomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let o = 0; o < n; o += 65536) {
    crypto.getRandomValues(out.subarray(o, Math.min(n, o + 65536)));
  }
  return out;
}

/** Concatenates byte arrays. */
export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Asserts two byte arrays are identical, reporting the first differing offset. */
export function assertBytes(got: Uint8Array, want: Uint8Array, what = "bytes"): void {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < got.length; i++) {
    if (got[i] !== want[i]) {
      assert.fail(`${what}: first difference at offset ${i} (${got[i]} != ${want[i]})`);
    }
  }
}

/** Turns an array into an async iterable of pieces. */
export async function* iter<T>(items: T[]): AsyncIterable<T> {
  for (const x of items) yield x;
}

/** Number of pending multipart uploads in `bucket`. */
export async function pendingUploads(client: S3Client, bucket: string): Promise<number> {
  const r = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
  return r.Uploads?.length ?? 0;
}

/** Runs `fn` and returns the error it throws (fails if it does not throw). */
export async function rejection(fn: () => Promise<unknown>): Promise<Error> {
  try {
    await fn();
  } catch (e) {
    return e as Error;
  }
  assert.fail("expected a rejection");
}
