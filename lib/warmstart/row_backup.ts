/**
 * Bytes of rows and cells that have no OLD value: a repeated element (zeros or an encoded
 * constant) or NEW's own rows (`backup_initializer: "new"`), read through the job's store.
 *
 * @module
 */
import { dataLocation } from "../checkpoint/mod.ts";
import type { Backup } from "./plan.ts";
import type { SegmentSources } from "./segment_reader.ts";

/** `count` copies of `element`, concatenated. */
export function repeat(element: Uint8Array, count: number): Uint8Array {
  const out = new Uint8Array(element.length * count);
  if (out.length === 0) return out;
  out.set(element);
  for (let filled = element.length; filled < out.length; filled *= 2) {
    out.copyWithin(filled, 0, Math.min(filled, out.length - filled));
  }
  return out;
}

/**
 * Fills `out` with the backup bytes of output rows from `r0` of a block `rowBytes` wide (as many
 * rows as `out` holds): NEW's rows read into it, or the element repeated.
 */
export async function fillBackup(
  src: Pick<SegmentSources, "store" | "newIndex">,
  backup: Backup,
  r0: number,
  rowBytes: number,
  out: Uint8Array,
): Promise<void> {
  if (out.length === 0) return;
  if (backup.kind === "new") {
    const location = dataLocation(
      src.newIndex.prefix,
      backup.shardId,
      src.newIndex.header.numShards,
    );
    const range = { offset: backup.offset + r0 * rowBytes, length: out.length };
    const bytes = await src.store.readRange(location, range, { into: out });
    if (bytes.buffer !== out.buffer || bytes.byteOffset !== out.byteOffset) out.set(bytes);
    return;
  }
  const e = backup.element;
  out.set(e.subarray(0, Math.min(e.length, out.length)));
  for (let filled = e.length; filled < out.length; filled *= 2) {
    out.copyWithin(filled, 0, Math.min(filled, out.length - filled));
  }
}

/** Backup bytes for output rows [r0, r1) of a block `rowBytes` wide (a fresh buffer). */
export async function backupRows(
  src: Pick<SegmentSources, "store" | "newIndex">,
  backup: Backup,
  r0: number,
  r1: number,
  rowBytes: number,
): Promise<Uint8Array> {
  if (backup.kind === "new") {
    const length = (r1 - r0) * rowBytes;
    if (length === 0) return new Uint8Array(0);
    const location = dataLocation(
      src.newIndex.prefix,
      backup.shardId,
      src.newIndex.header.numShards,
    );
    return await src.store.readRange(location, { offset: backup.offset + r0 * rowBytes, length });
  }
  return repeat(backup.element, ((r1 - r0) * rowBytes) / backup.element.length);
}
