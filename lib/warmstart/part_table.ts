/**
 * The part table of an output shard: part number → byte range, each part either one server-side
 * copy of a verbatim range or streamed bytes, cut as the multipart writer
 * (storage/multipart_writer.ts) cuts the same pieces: streamed parts of the store's part size
 * (storage/part_size.ts, sized so the shard fits 10,000 parts), copy ranges by the one cutting
 * rule (storage/part_cutter.ts). Pure: the same table from the same plan and rules, in every
 * process.
 *
 * @module
 */
import { type CopyPiece, cutCopy, MAX_PARTS, PartSizer, type UploadRules } from "../storage/mod.ts";
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
    if (!piece) {
      stream(item.length);
      continue;
    }
    // The one cutting rule (storage/part_cutter.ts), the multipart writer's.
    let off = piece.offset;
    for (
      const step of cutCopy(item.length, {
        equalParts: sizer.equalParts,
        partSize: sizeFor(),
        minPartSize: minPart,
        minCopySize: minCopy,
        maxCopyPartSize: rules.maxCopyPartSize,
        pending,
      })
    ) {
      if (step.kind === "flush") flush();
      else if (step.kind === "stream") stream(step.length);
      else copyPart(piece, off, step.length);
      if (step.kind !== "flush") off += step.length;
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
