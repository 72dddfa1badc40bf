/**
 * JSON records a split job keeps in storage (job_files.ts): encoded with the plan's typed arrays
 * as base64 (`{"$u8": …}`, `{"$i32": …}`: a row map of a million rows is 5.3 MB, not 11), read
 * with a size cap, written whole in one request (create-only where a record must be written
 * once).
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { ObjectTooLargeError, readCapped, type Store } from "../storage/mod.ts";
import { CorruptCheckpointError } from "../checkpoint/mod.ts";

function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}

function fromBase64(text: string): Uint8Array {
  // A copy in a buffer of its own: 4-aligned for an Int32Array view.
  return new Uint8Array(Buffer.from(text, "base64"));
}

/** JSON text of `value`, typed arrays as base64 (little-endian Int32 for row maps). */
export function encodeRecord(value: unknown): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(value, (_k, v) => {
    if (v instanceof Int32Array) {
      return { $i32: toBase64(new Uint8Array(v.buffer, v.byteOffset, v.byteLength)) };
    }
    if (v instanceof Uint8Array) return { $u8: toBase64(v) };
    return v;
  }));
}

/** The value {@link encodeRecord} encoded. */
export function decodeRecord<T>(bytes: Uint8Array, location: string): T {
  try {
    return JSON.parse(new TextDecoder().decode(bytes), (_k, v) => {
      if (v && typeof v === "object" && !Array.isArray(v)) {
        if (typeof v.$i32 === "string") {
          const raw = fromBase64(v.$i32);
          if (raw.length % 4 !== 0) throw new Error("an Int32 array of odd length");
          return new Int32Array(raw.buffer, 0, raw.length / 4);
        }
        if (typeof v.$u8 === "string") return fromBase64(v.$u8);
      }
      return v;
    }) as T;
  } catch (e) {
    throw new CorruptCheckpointError(
      `${location} is not a readable job record (${(e as Error).message})`,
      { location },
    );
  }
}

/** Largest job record read (the plan of a big job with its row maps). */
export const MAX_RECORD_BYTES = 1 << 30;

/**
 * The record at `location`, or undefined when it does not exist.
 *
 * @throws CorruptCheckpointError for undecodable contents, ObjectTooLargeError above `maxBytes`
 */
export async function readRecord<T>(
  store: Store,
  location: string,
  maxBytes = MAX_RECORD_BYTES,
): Promise<T | undefined> {
  if (!await store.stat(location, { fresh: true })) return undefined;
  let bytes: Uint8Array;
  try {
    bytes = await readCapped(store, location, maxBytes, "Job record", { fresh: true });
  } catch (e) {
    if (e instanceof ObjectTooLargeError) throw e;
    if (!await store.stat(location, { fresh: true })) return undefined;
    throw e;
  }
  return decodeRecord<T>(bytes, location);
}

/** Writes `value` at `location` in one request (create-only when `once`). */
export async function writeRecord(
  store: Store,
  location: string,
  value: unknown,
  once = false,
): Promise<void> {
  await store.put(location, encodeRecord(value), {
    contentType: "application/json",
    ...(once ? { ifNoneMatch: true } : {}),
  });
}
