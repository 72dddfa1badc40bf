/**
 * The rule every upload's parts follow, checked before an upload is completed: part numbers
 * 1..n, each part starting where the previous one ended.
 *
 * @module
 */
import { StorageError } from "./errors.ts";
import type { PartResult, Upload } from "./store.ts";

/**
 * The size of the object `parts` make.
 *
 * @throws StorageError when numbers or offsets have gaps
 */
export function checkParts(upload: Upload, parts: PartResult[]): number {
  const sorted = [...parts].sort((a, b) => a.partNumber - b.partNumber);
  let size = 0;
  sorted.forEach((p, i) => {
    if (p.partNumber !== i + 1 || p.offset !== size) {
      throw new StorageError(
        `Upload of ${upload.location}: part ${p.partNumber} at ${p.offset} does not follow ` +
          `${i} parts of ${size} bytes`,
        { location: upload.location },
      );
    }
    size += p.size;
  });
  return size;
}
