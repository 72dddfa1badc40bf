/**
 * BundleHeaderProto and BundleEntryProto (tensor_bundle.proto) ⇄ the plain types of types.ts.
 * Decoding and encoding both go through npm:protobufjs; encoders build message objects holding only
 * the fields TF's C++ serializer would emit (non-default scalars, `shape` always, `crc32c` as
 * fixed32), so the bytes equal TF's (tensorflow/core/protobuf/tensor_bundle.proto).
 *
 * @module
 */
import { CorruptCheckpointError } from "./errors.ts";
import type { BundleEntry, BundleHeader, TensorSlice } from "./types.ts";
import { encodeMessage, int64ToNumber, type Int64Value, ProtoTypes } from "./proto_schema.ts";
import { displayKey } from "./keys.ts";
import { ENTRY_SCHEMA, HEADER_SCHEMA, wireProblem } from "./wire_check.ts";

/** Largest rank TF accepts (TensorShape::kMaxDimensions). */
export const MAX_RANK = 254;

interface DecodedShape {
  dim?: Array<{ size?: Int64Value }>;
  unknownRank?: boolean;
}
interface DecodedSlice {
  extent?: Array<{ start?: Int64Value; length?: Int64Value }>;
}
interface DecodedEntry {
  dtype?: number;
  shape?: DecodedShape;
  shardId?: number;
  offset?: Int64Value;
  size?: Int64Value;
  crc32c?: number;
  slices?: DecodedSlice[];
}
interface DecodedHeader {
  numShards?: number;
  endianness?: number;
  version?: { producer?: number; minConsumer?: number; badConsumers?: number[] };
}

/** Parses a header value (key `""`). Throws CorruptCheckpointError if unparseable. */
export function decodeHeader(bytes: Uint8Array, location?: string): BundleHeader {
  const problem = wireProblem(bytes, HEADER_SCHEMA);
  if (problem) {
    throw new CorruptCheckpointError(
      `Bundle header in ${location ?? "index"} is not parseable as a BundleHeaderProto: ${problem}`,
      { location, key: "" },
    );
  }
  let m: DecodedHeader;
  try {
    m = ProtoTypes.BundleHeaderProto.decode(bytes) as unknown as DecodedHeader;
  } catch (e) {
    throw new CorruptCheckpointError(
      `Bundle header in ${location ?? "index"} is not parseable: ${(e as Error).message}`,
      { location, key: "" },
    );
  }
  return {
    numShards: m.numShards ?? 0,
    endianness: m.endianness ?? 0,
    version: {
      producer: m.version?.producer ?? 0,
      minConsumer: m.version?.minConsumer ?? 0,
      badConsumers: [...(m.version?.badConsumers ?? [])],
    },
  };
}

/** Serializes a header exactly like TF (`08 01 1a 02 08 01` for one shard). */
export function encodeHeader(h: BundleHeader): Uint8Array {
  const version: Record<string, unknown> = {};
  if (h.version.producer !== 0) version.producer = h.version.producer;
  if (h.version.minConsumer !== 0) version.minConsumer = h.version.minConsumer;
  if (h.version.badConsumers.length > 0) version.badConsumers = h.version.badConsumers;
  const msg: Record<string, unknown> = { version };
  if (h.numShards !== 0) msg.numShards = h.numShards;
  if (h.endianness !== 0) msg.endianness = h.endianness;
  return encodeMessage(ProtoTypes.BundleHeaderProto, msg);
}

/**
 * Parses the BundleEntryProto stored under `key`; validates the shape (dims ≥ 0, rank ≤ 254,
 * element count a safe integer) and non-negative shard/offset/size like TF's reader.
 */
export function decodeEntry(key: Uint8Array, bytes: Uint8Array, location?: string): BundleEntry {
  const where = { location, key: displayKey(key) };
  const problem = wireProblem(bytes, ENTRY_SCHEMA);
  if (problem) {
    throw new CorruptCheckpointError(
      `Entry for key ${where.key} in ${
        location ?? "index"
      } is not parseable as a BundleEntryProto: ` +
        problem,
      where,
    );
  }
  let m: DecodedEntry;
  try {
    m = ProtoTypes.BundleEntryProto.decode(bytes) as unknown as DecodedEntry;
  } catch (e) {
    throw new CorruptCheckpointError(
      `Entry for key ${where.key} in ${location ?? "index"} is not parseable: ${
        (e as Error).message
      }`,
      where,
    );
  }
  const num = (v: Int64Value, field: string) => {
    try {
      return int64ToNumber(v, `${field} of key ${where.key}`);
    } catch (e) {
      throw new CorruptCheckpointError((e as Error).message, where);
    }
  };
  const shape = (m.shape?.dim ?? []).map((d) => num(d.size, "shape"));
  if (m.shape?.unknownRank || shape.length > MAX_RANK || shape.some((d) => d < 0)) {
    throw new CorruptCheckpointError(
      `Invalid tensor shape for key ${where.key}: [${shape.join(", ")}]`,
      { ...where, actual: `[${shape.join(", ")}]` },
    );
  }
  let elements = 1;
  for (const d of shape) elements *= d;
  if (!Number.isSafeInteger(elements)) {
    throw new CorruptCheckpointError(
      `Invalid tensor shape for key ${where.key}: too many elements`,
      { ...where, actual: `[${shape.join(", ")}]` },
    );
  }
  const shardId = m.shardId ?? 0;
  const offset = num(m.offset, "offset");
  const size = num(m.size, "size");
  if (shardId < 0 || offset < 0 || size < 0) {
    throw new CorruptCheckpointError(
      `Negative shard, offset or size in entry for key ${where.key}`,
      { ...where, actual: `shard ${shardId} offset ${offset} size ${size}` },
    );
  }
  const slices: TensorSlice[] = (m.slices ?? []).map((s) =>
    (s.extent ?? []).map((x) => ({
      start: num(x.start, "slice start"),
      // `length` is a oneof member: absent (not merely 0) means the full dimension.
      length: Object.hasOwn(x, "length") && x.length !== null && x.length !== undefined
        ? num(x.length, "slice length")
        : -1,
    }))
  );
  return {
    key,
    dtype: m.dtype ?? 0,
    shape,
    shardId,
    offset,
    size,
    crc32c: (m.crc32c ?? 0) >>> 0,
    slices,
  };
}

/** The TensorSliceProto message object for a slice (full dimension → empty extent). */
export function sliceMessage(slice: TensorSlice): Record<string, unknown> {
  return {
    extent: slice.map((e) => {
      if (e.length === -1) return {};
      const x: Record<string, unknown> = { length: e.length };
      if (e.start !== 0) x.start = e.start;
      return x;
    }),
  };
}

/** Serializes an entry exactly like TF (field order 1..7, zero scalars omitted, shape always). */
export function encodeEntry(e: BundleEntry): Uint8Array {
  const msg: Record<string, unknown> = {
    shape: { dim: e.shape.map((d) => (d === 0 ? {} : { size: d })) },
  };
  if (e.dtype !== 0) msg.dtype = e.dtype;
  if (e.shardId !== 0) msg.shardId = e.shardId;
  if (e.offset !== 0) msg.offset = e.offset;
  if (e.size !== 0) msg.size = e.size;
  if (e.crc32c !== 0) msg.crc32c = e.crc32c >>> 0;
  if (e.slices.length > 0) msg.slices = e.slices.map(sliceMessage);
  return encodeMessage(ProtoTypes.BundleEntryProto, msg);
}
