/**
 * The NEW model as warm_start sees it: its variables (full names, shapes, dtypes, trainability)
 * and their partitions, derived from the NEW checkpoint — no graph needed.
 *
 * TF1 name-based checkpoints: a variable is a key; a partitioned variable is a full entry with
 * slices, its parts are named `<name>/part_<i>` in slice order. TF2 object-based checkpoints: a
 * variable is a `VARIABLE_VALUE` attribute of the object graph, named by its `full_name` (the
 * graph name TF's warm_start matches against); when full names are missing or repeated (eager
 * variables are all called "Variable") the object path is used instead.
 *
 * @module
 */
import {
  type BundleEntry,
  formatSlice,
  sliceBox,
  TensorNotFoundError,
  type TensorSlice,
} from "../checkpoint/mod.ts";

/** One partition of a variable (or the whole variable when it is not partitioned). */
export interface ModelPart {
  /** TF tensor name without ":0": `<name>/part_<i>`, or `<name>` when unpartitioned. */
  name: string;
  /** Index among the variable's parts (0 when unpartitioned). */
  index: number;
  /** The entry holding this part's bytes (a slice entry for partitions). */
  entry: BundleEntry;
  /** Slice of the full tensor; undefined when unpartitioned. */
  slice?: TensorSlice;
  /** Shape of this part. */
  shape: number[];
  /** Offset of this part in the full tensor, per dimension. */
  offset: number[];
}

/** A variable of the NEW model. */
export interface ModelVariable {
  /** Full name TF matches and groups by (no ":0", no "/part_<i>"). */
  name: string;
  /** The NEW checkpoint key of the (full) entry. */
  key: string;
  entry: BundleEntry;
  dtype: number;
  shape: number[];
  trainable: boolean;
  /** Stored with slices (TF1 partitioned variable). */
  partitioned: boolean;
  parts: ModelPart[];
}

const UTF8 = new TextDecoder();

/** Part geometry of a full entry with slices, in TF's part order (by offset). */
export function partsOf(
  name: string,
  entry: BundleEntry,
  sliceEntry: (s: TensorSlice) => BundleEntry | undefined,
): ModelPart[] {
  if (entry.slices.length === 0) {
    return [{ name, index: 0, entry, shape: entry.shape, offset: entry.shape.map(() => 0) }];
  }
  const geometry = entry.slices.map((slice) => {
    const box = sliceBox(slice, entry.shape);
    return { slice, offset: box.start, shape: box.length };
  });
  geometry.sort((a, b) => {
    for (let d = 0; d < a.offset.length; d++) {
      if (a.offset[d] !== b.offset[d]) return a.offset[d] - b.offset[d];
    }
    return 0;
  });
  return geometry.map((g, index) => {
    const partEntry = sliceEntry(g.slice);
    if (!partEntry) {
      throw new TensorNotFoundError(
        `Checkpoint has no slice entry for ${name} slice ${formatSlice(g.slice)}`,
        { key: name },
      );
    }
    return {
      name: `${name}/part_${index}`,
      index,
      entry: partEntry,
      slice: g.slice,
      shape: g.shape,
      offset: g.offset,
    };
  });
}

/** Decodes a key for display and matching. */
export function keyName(key: Uint8Array): string {
  return UTF8.decode(key);
}
