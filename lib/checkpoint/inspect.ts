/**
 * What `inspect` shows of a checkpoint: its variables like `tf.train.list_variables` (sorted by
 * key, slice keys and the header hidden), and a verification that reads every tensor and checks
 * its CRC32C (and the string length checksums).
 *
 * @module
 */
import type { BundleIndex } from "./bundle_index.ts";
import { DT_STRING, DT_VARIANT, dtypeName, numElements } from "./dtype.ts";
import { checkSliceEntry, readTensorBytes } from "./entry_reader.ts";
import { CorruptCheckpointError, TensorNotFoundError } from "./errors.ts";
import { checkSlices, formatSlice } from "./slice_geometry.ts";
import { displayKey } from "./keys.ts";
import { readTensor, type SliceSource } from "./slice_reader.ts";
import { decodeStringTensor } from "./string_tensor.ts";
import type { BundleEntry } from "./types.ts";

/** One listed variable. */
export interface InspectedVariable {
  /** Checkpoint key as text (hex for non-UTF-8 keys). */
  name: string;
  /** `tf.DType.name`. */
  dtype: string;
  /** Full shape. */
  shape: number[];
  /** Stored bytes (sum over slices for a partitioned tensor). */
  bytes: number;
  /** Data shard of the bytes; for a partitioned tensor the distinct shards of its slices. */
  shard: number | number[];
  /** Number of slices (0 for a plain tensor). */
  slices: number;
}

/**
 * The listing of an index (pure).
 *
 * @param index the bundle's index
 * @returns one line per variable, sorted by key
 */
export function listVariables(index: BundleIndex): InspectedVariable[] {
  return index.variables().map((e) => {
    const parts = e.slices.map((s) => index.getSlice(e.key, s)).filter((x): x is BundleEntry =>
      !!x
    );
    return {
      name: displayKey(e.key),
      dtype: dtypeName(e.dtype),
      shape: [...e.shape],
      bytes: e.slices.length ? parts.reduce((s, p) => s + p.size, 0) : e.size,
      shard: e.slices.length
        ? [...new Set(parts.map((p) => p.shardId))].sort((a, b) => a - b)
        : e.shardId,
      slices: e.slices.length,
    };
  });
}

/**
 * Reads every tensor of the index, verifying sizes and checksums; throws on the first problem.
 *
 * @param store where the data shards are read
 * @param index the bundle's index
 * @returns the number of variables verified
 */
export async function verifyTensors(store: SliceSource, index: BundleIndex): Promise<number> {
  let n = 0;
  for (const e of index.variables()) {
    if (e.slices.length > 0) {
      // Every slice: inside the shape, disjoint, present with its shape, covering the tensor,
      // and its bytes matching their checksum (strings and variants included).
      const key = displayKey(e.key);
      const boxes = checkSlices(e.slices, e.shape, { key });
      let covered = 0;
      for (let i = 0; i < e.slices.length; i++) {
        const se = index.getSlice(e.key, e.slices[i]);
        if (!se) {
          throw new TensorNotFoundError(
            `Slice ${formatSlice(e.slices[i])} of ${key} not found in checkpoint ${index.prefix}`,
            { key },
          );
        }
        checkSliceEntry(e, se, boxes[i].length);
        const bytes = await readTensorBytes(store, index, se);
        if (e.dtype === DT_STRING) decodeStringTensor(bytes, numElements(se.shape), key);
        covered += numElements(boxes[i].length);
      }
      if (covered !== numElements(e.shape)) {
        throw new CorruptCheckpointError(
          `Does not have sufficient slices for partitioned tensor ${key}: ${covered} of ` +
            `${numElements(e.shape)} elements`,
          { key, expected: numElements(e.shape), actual: covered },
        );
      }
      if (e.dtype !== DT_STRING && e.dtype !== DT_VARIANT) await readTensor(store, index, e.key);
    } else {
      const bytes = await readTensorBytes(store, index, e);
      if (e.dtype === DT_STRING) decodeStringTensor(bytes, numElements(e.shape), displayKey(e.key));
    }
    n++;
  }
  return n;
}
