/**
 * Copies a slice's row-major bytes into its place in the full tensor's row-major bytes.
 *
 * @module
 */
import type { Box } from "./slice_geometry.ts";

/** Copies `src` (the box's elements, row-major) into `dst` (the full tensor of `shape`). */
export function copyBox(
  src: Uint8Array,
  box: Box,
  dst: Uint8Array,
  shape: readonly number[],
  elem: number,
): void {
  const rank = shape.length;
  if (rank === 0) {
    dst.set(src.subarray(0, elem));
    return;
  }
  if (box.length.some((l) => l === 0)) return;
  // Strides of the full tensor in elements.
  const stride = new Array<number>(rank);
  stride[rank - 1] = 1;
  for (let d = rank - 2; d >= 0; d--) stride[d] = stride[d + 1] * shape[d + 1];
  const run = box.length[rank - 1] * elem;
  const idx = new Array<number>(rank - 1).fill(0);
  let srcPos = 0;
  for (;;) {
    let dstElem = box.start[rank - 1];
    for (let d = 0; d < rank - 1; d++) dstElem += (box.start[d] + idx[d]) * stride[d];
    dst.set(src.subarray(srcPos, srcPos + run), dstElem * elem);
    srcPos += run;
    let d = rank - 2;
    while (d >= 0) {
      if (++idx[d] < box.length[d]) break;
      idx[d] = 0;
      d--;
    }
    if (d < 0) break;
  }
}
