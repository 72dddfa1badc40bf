/**
 * Geometry of tensor slices: concrete extents, element counts, intersection and validation that
 * the slices of a partitioned tensor do not overlap and lie inside its shape.
 *
 * @module
 */
import { CorruptCheckpointError } from "./errors.ts";
import type { TensorSlice } from "./types.ts";

/** A slice with every extent made concrete: [start, start+length) per dimension. */
export interface Box {
  /** First index per dimension. */
  start: number[];
  /** Length per dimension. */
  length: number[];
}

/** Replaces full extents (length −1) by the whole dimension. */
export function sliceBox(slice: TensorSlice, shape: readonly number[]): Box {
  return {
    start: slice.map((e) => (e.length === -1 ? 0 : e.start)),
    length: slice.map((e, d) => (e.length === -1 ? shape[d] : e.length)),
  };
}

/** Number of elements in a box. */
export function boxElements(b: Box): number {
  let n = 1;
  for (const l of b.length) n *= l;
  return n;
}

/** True when the boxes share at least one element. */
export function boxesIntersect(a: Box, b: Box): boolean {
  for (let d = 0; d < a.start.length; d++) {
    const lo = Math.max(a.start[d], b.start[d]);
    const hi = Math.min(a.start[d] + a.length[d], b.start[d] + b.length[d]);
    if (lo >= hi) return false;
  }
  return true;
}

/** True when every extent is the full dimension (TF stores such a slice as a plain tensor). */
export function isFullSlice(slice: TensorSlice, shape: readonly number[]): boolean {
  return slice.every((e, d) => e.length === -1 || (e.start === 0 && e.length === shape[d]));
}

/**
 * Checks the slices of a partitioned tensor: rank, inside the shape, pairwise disjoint. Returns
 * their boxes. Coverage is not required here (callers check what they need).
 */
export function checkSlices(
  slices: TensorSlice[],
  shape: readonly number[],
  where: { location?: string; key?: string },
): Box[] {
  const boxes = slices.map((s) => {
    if (s.length !== shape.length) {
      throw new CorruptCheckpointError(
        `Slice rank ${s.length} does not match tensor rank ${shape.length} for ${where.key}`,
        { ...where, expected: shape.length, actual: s.length },
      );
    }
    const b = sliceBox(s, shape);
    for (let d = 0; d < shape.length; d++) {
      if (b.start[d] < 0 || b.length[d] < 0 || b.start[d] + b.length[d] > shape[d]) {
        throw new CorruptCheckpointError(
          `Slice ${formatSlice(s)} lies outside shape [${shape.join(", ")}] of ${where.key}`,
          { ...where, expected: `[${shape.join(", ")}]`, actual: formatSlice(s) },
        );
      }
    }
    return b;
  });
  const overlap = findOverlap(boxes);
  if (overlap !== undefined) {
    const [i, j] = overlap;
    throw new CorruptCheckpointError(
      `Overlapping slices ${formatSlice(slices[i])} and ${formatSlice(slices[j])} of ${where.key}`,
      { ...where },
    );
  }
  return boxes;
}

/**
 * A pair of intersecting non-empty boxes, or undefined. Sweeps along the dimension with the most
 * distinct starts (the partitioned axis): sorted by start there, a box is compared only with the
 * boxes still open at its start, so slices along one axis cost O(n log n), not O(n²).
 */
function findOverlap(boxes: Box[]): [number, number] | undefined {
  const rank = boxes[0]?.start.length ?? 0;
  if (rank === 0) {
    const nonEmpty = boxes.map((_, i) => i);
    return nonEmpty.length > 1 ? [nonEmpty[0], nonEmpty[1]] : undefined;
  }
  let axis = 0;
  let most = -1;
  for (let d = 0; d < rank; d++) {
    const distinct = new Set(boxes.map((b) => b.start[d])).size;
    if (distinct > most) [axis, most] = [d, distinct];
  }
  const order = boxes.map((_, i) => i).filter((i) => boxElements(boxes[i]) > 0)
    .sort((a, b) => boxes[a].start[axis] - boxes[b].start[axis]);
  let open: number[] = [];
  for (const i of order) {
    const start = boxes[i].start[axis];
    open = open.filter((j) => boxes[j].start[axis] + boxes[j].length[axis] > start);
    for (const j of open) {
      if (boxesIntersect(boxes[i], boxes[j])) return [Math.min(i, j), Math.max(i, j)];
    }
    open.push(i);
  }
  return undefined;
}

/** TF's slice spec text: `start,length` or `-` per dimension, `:`-separated. */
export function formatSlice(slice: TensorSlice): string {
  return slice.map((e) => (e.length === -1 ? "-" : `${e.start},${e.length}`)).join(":");
}

/** Parses TF's slice spec text (`0,2:-`). */
export function parseSlice(spec: string): TensorSlice {
  if (spec === "") return [];
  return spec.split(":").map((p) => {
    if (p === "-") return { start: 0, length: -1 };
    const m = /^(\d+),(\d+)$/.exec(p);
    if (!m) throw new RangeError(`Bad slice spec "${spec}"`);
    return { start: Number(m[1]), length: Number(m[2]) };
  });
}
