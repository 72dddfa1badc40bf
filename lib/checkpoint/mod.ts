/**
 * The tensor-bundle checkpoint format (tensorflow/core/util/tensor_bundle/tensor_bundle.h): the
 * `.index` SSTable and its entries, tensor bytes of any dtype read by range with their CRC32C
 * checked, one slice path for blocks of partitioned tensors, the writer twin (byte-identical to
 * TF), the `checkpoint` state file, the `.meta` collections and the TF2 object graph.
 *
 * @example List and read a checkpoint
 * ```ts
 * import assert from "node:assert/strict";
 * import { listVariables, readBundleIndex, readTensor } from "@warm-start/core/checkpoint";
 * import { FileStore } from "@warm-start/core/storage";
 * const store = new FileStore();
 * const index = await readBundleIndex(store, "docs/sample/old/model.ckpt-100");
 * const names = listVariables(index).map((v) => v.name);
 * assert.ok(names.includes("emb"));
 * const emb = await readTensor(store, index, "emb"); // float32 bytes, CRC-checked
 * assert.ok(emb.length > 0);
 * ```
 *
 * @module
 */
export type { BundleEntry, BundleHeader, SliceExtent, TensorSlice } from "./types.ts";
export {
  CheckpointError,
  CheckpointNotFoundError,
  CorruptCheckpointError,
  type ErrorDetails,
  KerasFileError,
  TensorNotFoundError,
  UnsupportedError,
} from "./errors.ts";
export {
  DT_FLOAT,
  DT_INT64,
  DT_STRING,
  DT_VARIANT,
  dtypeElementSize,
  dtypeFromName,
  dtypeName,
  isSliceAssemblable,
  numElements,
} from "./dtype.ts";
export {
  type BundleIndex,
  decodeBundleIndex,
  defaultHeader,
  encodeBundleIndex,
  MAX_INDEX_BYTES,
  MAX_SHARDS,
  MAX_SLICES,
  readBundleIndex,
  type ReadIndexOptions,
} from "./bundle_index.ts";
export { dataLocation, indexLocation, metaGraphLocation } from "./naming.ts";
export { checkEntryExtents, type EntrySource, readTensorBytes, shardSize } from "./entry_reader.ts";
export {
  type ByteSpan,
  fullBox,
  locateBox,
  locateRows,
  readBox,
  readRows,
  readTensor,
  rowBox,
  type SliceReadOptions,
  type SliceSource,
  type StoredPiece,
  type StoredTensor,
  storedTensor,
} from "./slice_reader.ts";
export { type Box, formatSlice, parseSlice, sliceBox } from "./slice_geometry.ts";
export { payloadCrc } from "./payload_crc.ts";
export { decodeStringTensor, encodeStringTensor } from "./string_tensor.ts";
export { compareKeys, displayKey, keyBytes, keyId, keyText } from "./keys.ts";
export {
  type CheckpointState,
  formatCheckpointState,
  MAX_STATE_FILE_BYTES,
  parseCheckpointState,
  readCheckpointState,
  resolveCheckpointPrefix,
  STATE_FILE_NAME,
  statePathLocation,
  writeCheckpointState,
} from "./state_file.ts";
export { readTrainableVariables } from "./meta_graph.ts";
export { type GraphVariable, readGraphVariables } from "./meta_graph_variables.ts";
export {
  decodeObjectGraph,
  encodeObjectGraph,
  MAX_OBJECT_GRAPH_BYTES,
  OBJECT_GRAPH_KEY,
  type ObjectGraph,
  type ObjectReference,
  readObjectGraph,
  type SerializedTensor,
  type SlotVariableReference,
  type TrackableObject,
  VARIABLE_VALUE_SUFFIX,
} from "./object_graph.ts";
export {
  BundleBuilder,
  type BundleWriterOptions,
  type SliceToWrite,
  stringTensor,
  type TensorToWrite,
  writeBundle,
} from "./bundle_writer.ts";
export { type InspectedVariable, listVariables, verifyTensors } from "./inspect.ts";
