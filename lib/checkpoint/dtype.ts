/**
 * TensorFlow's DataType enum (types.proto): names as Python's `tf.DType.name` spells them, and the
 * on-disk element size of every fixed-width type (tensorflow/core/framework/types.proto, types.cc).
 *
 * @module
 */

export const DT_INVALID = 0;
/** DataType of float32. */
export const DT_FLOAT = 1;
export const DT_DOUBLE = 2;
export const DT_INT32 = 3;
export const DT_UINT8 = 4;
export const DT_INT16 = 5;
export const DT_INT8 = 6;
/** DataType of strings (variable-length payloads). */
export const DT_STRING = 7;
export const DT_COMPLEX64 = 8;
/** DataType of int64 (step counters). */
export const DT_INT64 = 9;
export const DT_BOOL = 10;
export const DT_QINT8 = 11;
export const DT_QUINT8 = 12;
export const DT_QINT32 = 13;
export const DT_BFLOAT16 = 14;
export const DT_QINT16 = 15;
export const DT_QUINT16 = 16;
export const DT_UINT16 = 17;
export const DT_COMPLEX128 = 18;
export const DT_HALF = 19;
export const DT_RESOURCE = 20;
/** DataType of variants (opaque payloads). */
export const DT_VARIANT = 21;
export const DT_UINT32 = 22;
export const DT_UINT64 = 23;
export const DT_FLOAT8_E5M2 = 24;
export const DT_FLOAT8_E4M3FN = 25;
export const DT_FLOAT8_E4M3FNUZ = 26;
export const DT_FLOAT8_E4M3B11FNUZ = 27;
export const DT_FLOAT8_E5M2FNUZ = 28;
export const DT_INT4 = 29;
export const DT_UINT4 = 30;
export const DT_INT2 = 31;
export const DT_UINT2 = 32;

/** [enum value, tf.DType.name, bytes per element on disk or undefined when variable-length]. */
const TABLE: ReadonlyArray<readonly [number, string, number | undefined]> = [
  [DT_FLOAT, "float32", 4],
  [DT_DOUBLE, "float64", 8],
  [DT_INT32, "int32", 4],
  [DT_UINT8, "uint8", 1],
  [DT_INT16, "int16", 2],
  [DT_INT8, "int8", 1],
  [DT_STRING, "string", undefined],
  [DT_COMPLEX64, "complex64", 8],
  [DT_INT64, "int64", 8],
  [DT_BOOL, "bool", 1],
  [DT_QINT8, "qint8", 1],
  [DT_QUINT8, "quint8", 1],
  [DT_QINT32, "qint32", 4],
  [DT_BFLOAT16, "bfloat16", 2],
  [DT_QINT16, "qint16", 2],
  [DT_QUINT16, "quint16", 2],
  [DT_UINT16, "uint16", 2],
  [DT_COMPLEX128, "complex128", 16],
  [DT_HALF, "float16", 2],
  [DT_RESOURCE, "resource", undefined],
  [DT_VARIANT, "variant", undefined],
  [DT_UINT32, "uint32", 4],
  [DT_UINT64, "uint64", 8],
  [DT_FLOAT8_E5M2, "float8_e5m2", 1],
  [DT_FLOAT8_E4M3FN, "float8_e4m3fn", 1],
  [DT_FLOAT8_E4M3FNUZ, "float8_e4m3fnuz", 1],
  [DT_FLOAT8_E4M3B11FNUZ, "float8_e4m3b11fnuz", 1],
  [DT_FLOAT8_E5M2FNUZ, "float8_e5m2fnuz", 1],
  [DT_INT4, "int4", 1],
  [DT_UINT4, "uint4", 1],
  [DT_INT2, "int2", 1],
  [DT_UINT2, "uint2", 1],
];

const BY_VALUE = new Map(TABLE.map(([v, name, size]) => [v, { name, size }]));
const BY_NAME = new Map(TABLE.map(([v, name]) => [name, v]));
BY_NAME.set("half", DT_HALF);
BY_NAME.set("float", DT_FLOAT);
BY_NAME.set("double", DT_DOUBLE);

/** True when `dt` is a known DataType that may appear in a checkpoint entry. */
export function isKnownDtype(dt: number): boolean {
  return BY_VALUE.has(dt);
}

/** `tf.DType.name` of a DataType value ("float32", "string", ...); `"dtype_<n>"` if unknown. */
export function dtypeName(dt: number): string {
  return BY_VALUE.get(dt)?.name ?? `dtype_${dt}`;
}

/** The DataType value of a `tf.DType.name` (also accepts "half", "float", "double"). */
export function dtypeFromName(name: string): number {
  const v = BY_NAME.get(name);
  if (v === undefined) throw new RangeError(`Unknown dtype name "${name}"`);
  return v;
}

/**
 * Bytes per element in the data file, or undefined for variable-length (string, variant) and
 * unsavable (resource) or unknown types. int4/uint4/int2/uint2 take one byte per element.
 */
export function dtypeElementSize(dt: number): number | undefined {
  return BY_VALUE.get(dt)?.size;
}

/** Number of elements of a shape (1 for a scalar). */
export function numElements(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/**
 * Dtypes TF can assemble from slices when a restore reads a block that is not exactly one stored
 * slice (TensorSliceReader; the TF_CALL list of tensorflow/core/util/saved_tensor_slice_util.h).
 * Other dtypes are restored only slice for slice.
 */
const SLICE_ASSEMBLABLE = new Set([
  DT_FLOAT,
  DT_DOUBLE,
  DT_INT32,
  DT_UINT8,
  DT_INT16,
  DT_INT8,
  DT_COMPLEX64,
  DT_COMPLEX128,
  DT_INT64,
  DT_BOOL,
  DT_QINT32,
  DT_QUINT8,
  DT_QINT8,
  DT_BFLOAT16,
  DT_INT4,
  DT_UINT4,
]);

/** True when TF's sliced restore can cut blocks of this dtype out of other slices. */
export function isSliceAssemblable(dt: number): boolean {
  return SLICE_ASSEMBLABLE.has(dt);
}
