/**
 * Tensor keys are bytes: UTF-8 for names, arbitrary bytes for slice keys. Helpers to build, compare
 * and display them (never round-trip slice keys through TextDecoder).
 *
 * @module
 */

const encoder = new TextEncoder();
const strictDecoder = new TextDecoder("utf-8", { fatal: true });

/** UTF-8 bytes of a name; bytes are returned as they are. */
export function keyBytes(name: string | Uint8Array): Uint8Array {
  return typeof name === "string" ? encoder.encode(name) : name;
}

/** Bytewise lexicographic comparison (memcmp on unsigned bytes; a proper prefix sorts first). */
export function compareKeys(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) return a[i] - b[i];
  }
  return a.length - b.length;
}

/** True when both keys hold the same bytes. */
export function keysEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Lowercase hex of bytes. */
export function toHex(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += b.toString(16).padStart(2, "0");
  return s;
}

/** A stable string usable as a Map key for arbitrary key bytes (latin1: one char per byte). */
export function keyId(key: Uint8Array): string {
  let s = "";
  for (let i = 0; i < key.length; i += 8192) {
    s += String.fromCharCode(...key.subarray(i, i + 8192));
  }
  return s;
}

/** The key as text when it is printable UTF-8, else `0x<hex>`; for messages. */
export function displayKey(key: Uint8Array): string {
  try {
    const s = strictDecoder.decode(key);
    // deno-lint-ignore no-control-regex
    if (!/[\u0000-\u001f\u007f]/.test(s)) return s;
  } catch {
    // not UTF-8
  }
  return `0x${toHex(key)}`;
}

/** The key as UTF-8 text, or undefined when it is not valid UTF-8. */
export function keyText(key: Uint8Array): string | undefined {
  try {
    return strictDecoder.decode(key);
  } catch {
    return undefined;
  }
}
