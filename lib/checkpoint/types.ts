/**
 * Plain data types of the tensor-bundle format, shared by readers, writers and the warm-start
 * planner. See tensorflow/core/protobuf/tensor_bundle.proto.
 *
 * @module
 */

/** One dimension of a slice: `length === -1` means the whole dimension (TF spells it `-`). */
export interface SliceExtent {
  /** First index. */
  start: number;
  /** Number of indexes, or -1 for the whole dimension. */
  length: number;
}

/** A slice of a partitioned tensor: one extent per dimension. */
export type TensorSlice = SliceExtent[];

/** BundleHeaderProto. */
export interface BundleHeader {
  /** Number of data shards. */
  numShards: number;
  /** 0 = little endian (the only one we read), 1 = big. */
  endianness: number;
  /** VersionDef of the format. */
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
  /** Data shard holding the bytes. */
  shardId: number;
  /** First byte in the shard. */
  offset: number;
  /** Number of bytes. */
  size: number;
  /** The masked CRC32C exactly as stored (0 when absent). */
  crc32c: number;
  /** Non-empty only on the full-tensor entry of a partitioned tensor. */
  slices: TensorSlice[];
}
