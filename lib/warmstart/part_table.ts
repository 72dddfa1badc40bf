/**
 * The part table of an output shard: part number → byte range, each part either one server-side
 * copy of a verbatim range or streamed bytes. The rules are the multipart writer's
 * (storage/multipart_writer.ts) on lengths instead of bytes: streamed parts of the store's part
 * size (storage/part_size.ts, sized so the shard fits 10,000 parts), a copy range of at least the
 * minimum copy size becomes copy parts (a short streamed part before it is topped up to the
 * minimum part with its first bytes), and in equal-part mode copies are cut on the part grid.
 * Pure: the same table from the same plan and rules, in every process.
 *
 * @module
 */
import { type CopyPiece, MAX_PARTS, PartSizer, type UploadRules } from "../storage/mod.ts";
import type { ShardLayout } from "./layout.ts";

/** One part of a shard's upload. */
export interface PlannedPart {
  /** 1-based part number. */
  partNumber: number;
  /** First byte in the shard. */
  offset: number;
  /** Bytes. */
  length: number;
  /** Set for a server-side copy part: its source range. */
  copy?: CopyPiece;
}

/**
 * Cuts a shard into parts (see module docs).
 *
 * @param layout the shard's layout
 * @param rules the store's upload rules for the shard's location
 * @returns the parts, in order, covering [0, layout.size)
 * @throws RangeError when the shard needs more than 10,000 parts
 */
export function partTable(layout: ShardLayout, rules: UploadRules): PlannedPart[] {
  const sizer = new PartSizer({
    partSize: rules.partSize,
    minPartSize: rules.minPartSize,
    equalParts: rules.equalParts,
    // The hint only where the part size must grow to fit (it rounds parts up to whole MiB).
    ...(layout.size > rules.partSize * MAX_PARTS ? { sizeHint: layout.size } : {}),
  });
  const minPart = sizer.minPartSize;
  const minCopy = Math.max(rules.minCopySize, minPart);
  const parts: PlannedPart[] = [];
  let at = 0; // where the pending streamed bytes start
  let pending = 0;
  const sizeFor = () => sizer.sizeFor(parts.length + 1);
  const flush = () => {
    if (pending === 0) return;
    parts.push({ partNumber: parts.length + 1, offset: at, length: pending });
    at += pending;
    pending = 0;
  };
  const stream = (n: number) => {
    while (n > 0) {
      const k = Math.min(sizeFor() - pending, n);
      pending += k;
      n -= k;
      if (pending === sizeFor()) flush();
    }
  };
  const copyPart = (piece: CopyPiece, offset: number, length: number) => {
    parts.push({
      partNumber: parts.length + 1,
      offset: at,
      length,
      copy: { ...piece, offset, length },
    });
    at += length;
  };
  for (const item of layout.items) {
    const piece = item.copy;
    let len = item.length;
    if (!piece || len < minCopy) {
      stream(len);
      continue;
    }
    let off = piece.offset;
    if (sizer.equalParts) {
      const p = sizeFor();
      if (pending > 0) {
        const k = p - pending;
        if (len - k < p) {
          stream(len);
          continue;
        }
        stream(k);
        off += k;
        len -= k;
      }
      for (; len >= p; off += p, len -= p) copyPart(piece, off, p);
      stream(len);
      continue;
    }
    if (pending >= minPart) flush();
    if (pending > 0) {
      const k = minPart - pending;
      if (len - k < minCopy) {
        stream(len);
        continue;
      }
      stream(k);
      flush();
      off += k;
      len -= k;
    }
    const n = Math.ceil(len / rules.maxCopyPartSize);
    for (let i = 0; i < n; i++) {
      const chunk = i < n - 1 ? Math.floor(len / n) : len - Math.floor(len / n) * (n - 1);
      copyPart(piece, off, chunk);
      off += chunk;
    }
  }
  flush();
  // An empty shard is one empty part (an upload needs one), as the writer makes it.
  if (parts.length === 0) parts.push({ partNumber: 1, offset: 0, length: 0 });
  if (parts.length > MAX_PARTS) {
    throw new RangeError(`${layout.location} needs ${parts.length} parts (at most ${MAX_PARTS})`);
  }
  return parts;
}
