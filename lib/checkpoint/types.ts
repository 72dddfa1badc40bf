/**
 * Plain data types of the tensor-bundle format, shared by readers, writers and the warm-start
 * planner. See ../shared/reference/checkpoint-format.md.
 *
 * @module
 */

/** One dimension of a slice: `length === -1` means the whole dimension (TF spells it `-`). */
export interface SliceExtent {
  start: number;
  length: number;
}

/** A slice of a partitioned tensor: one extent per dimension. */
export type TensorSlice = SliceExtent[];

/** BundleHeaderProto. */
export interface BundleHeader {
  numShards: number;
  /** 0 = little endian (the only one we read), 1 = big. */
  endianness: number;
  version: { producer: number; minConsumer: number; badConsumers: number[] };
}

/** BundleEntryProto plus its key. Offsets and sizes are safe integers (< 2^53). */
export interface BundleEntry {
  /** The raw key bytes (slice keys are not valid UTF-8). */
  key: Uint8Array;
  /** TF DataType enum value (1 = float32, 7 = string, ...). */
  dtype: number;
  /** Dimensions, outermost first; [] for scalars. */
  shape: number[];
  shardId: number;
  offset: number;
  size: number;
  /** The masked CRC32C exactly as stored (0 when absent). */
  crc32c: number;
  /** Non-empty only on the full-tensor entry of a partitioned tensor. */
  slices: TensorSlice[];
}
