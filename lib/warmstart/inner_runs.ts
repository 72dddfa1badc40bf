/**
 * Where a block's elements sit inside one row of the full tensor: the byte runs, in row-major
 * order, of a block `offset`/`shape` over the inner dimensions `dims`.
 *
 * @module
 */

/** Byte runs [start, length] inside one row (dims 1..n) selected by a block. */
export function innerRuns(
  dims: number[],
  offset: number[],
  shape: number[],
  size: number,
): number[][] {
  if (dims.length === 0) return [[0, size]];
  const innerSize = dims.slice(1).reduce((a, b) => a * b, 1) * size;
  const inner = innerRuns(dims.slice(1), offset.slice(1), shape.slice(1), size);
  const wholeInner = inner.length === 1 && inner[0][0] === 0 && inner[0][1] === innerSize;
  if (wholeInner) return [[offset[0] * innerSize, shape[0] * innerSize]];
  const runs: number[][] = [];
  for (let i = offset[0]; i < offset[0] + shape[0]; i++) {
    for (const [s, l] of inner) runs.push([i * innerSize + s, l]);
  }
  return runs;
}
