/**
 * The tensor-bundle checkpoint format: one import for the warm-start engine and tools.
 *
 * @module
 */
export type { BundleEntry, BundleHeader, SliceExtent, TensorSlice } from "./types.ts";
export * from "./dtype.ts";
export { decodeEntry, decodeHeader, encodeEntry, encodeHeader } from "./entry_proto.ts";
export { decodeSliceKey, encodeSliceKey, isSliceKey } from "./slice_key.ts";
export { readTable, type TableEntry } from "./table_reader.ts";
export { TableWriter } from "./table_writer.ts";
export { dataLocation, indexLocation, metaGraphLocation } from "./naming.ts";
export {
  type BundleIndex,
  decodeBundleIndex,
  defaultHeader,
  encodeBundleIndex,
  readBundleIndex,
} from "./bundle_index.ts";
export { checkEntrySize, readTensor, readTensorBytes, shardSize } from "./tensor_reader.ts";
export { payloadCrc } from "./payload_crc.ts";
export { type ByteSpan, locateRows } from "./row_locator.ts";
export { decodeStringTensor, encodeStringTensor } from "./string_tensor.ts";
export { encodeVariantTensor, parseVariantTensor } from "./variant_tensor.ts";
export {
  type CheckpointState,
  formatCheckpointState,
  parseCheckpointState,
  readCheckpointState,
  resolveCheckpointPrefix,
  writeCheckpointState,
} from "./state_file.ts";
export { readTrainableVariables } from "./meta_graph.ts";
export {
  decodeObjectGraph,
  encodeObjectGraph,
  OBJECT_GRAPH_KEY,
  type ObjectGraph,
} from "./object_graph.ts";
export {
  BundleBuilder,
  type SliceToWrite,
  stringTensor,
  type TensorToWrite,
  writeBundle,
} from "./bundle_writer.ts";
export { compareKeys, displayKey, keyBytes } from "./keys.ts";
export { formatSlice, parseSlice } from "./slice_geometry.ts";
