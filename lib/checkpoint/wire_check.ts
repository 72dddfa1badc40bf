/**
 * Wire-type checks for the protos of a bundle index. protobufjs decodes a field by its declared
 * type whatever wire type the bytes carry, so a field sent with the wrong wire type is silently
 * misread; TF's C++ parser rejects such an entry (the read of the checkpoint fails). This walks
 * the bytes first and refuses any known field whose wire type is not the declared one, and any
 * group (wire types 3/4, which no tensor_bundle.proto field uses).
 *
 * @module
 */
import { ByteReader } from "../bytes/mod.ts";

/** Wire types: varint, 64-bit, length-delimited, 32-bit. */
type WireType = 0 | 1 | 2 | 5;

/** A message's known fields: field number -> wire type (and the nested message, if any). */
export interface WireSchema {
  [field: number]: { wire: WireType; packed?: boolean; message?: WireSchema };
}

const VERSION: WireSchema = { 1: { wire: 0 }, 2: { wire: 0 }, 3: { wire: 0, packed: true } };
const DIM: WireSchema = { 1: { wire: 0 }, 2: { wire: 2 } };
const SHAPE: WireSchema = { 2: { wire: 2, message: DIM }, 3: { wire: 0 } };
const EXTENT: WireSchema = { 1: { wire: 0 }, 2: { wire: 0 } };
const SLICE: WireSchema = { 1: { wire: 2, message: EXTENT } };

/** tensorflow/core/protobuf/tensor_bundle.proto: BundleHeaderProto. */
export const HEADER_SCHEMA: WireSchema = {
  1: { wire: 0 },
  2: { wire: 0 },
  3: { wire: 2, message: VERSION },
};

/** tensorflow/core/protobuf/tensor_bundle.proto: BundleEntryProto. */
export const ENTRY_SCHEMA: WireSchema = {
  1: { wire: 0 },
  2: { wire: 2, message: SHAPE },
  3: { wire: 0 },
  4: { wire: 0 },
  5: { wire: 0 },
  6: { wire: 5 },
  7: { wire: 2, message: SLICE },
};

/**
 * The first wire-type problem of `bytes` as a message of `schema`, or undefined.
 *
 * @param bytes the serialized message
 * @param schema its known fields
 * @returns a description of the problem
 */
export function wireProblem(bytes: Uint8Array, schema: WireSchema, depth = 0): string | undefined {
  if (depth > 8) return "messages nested too deeply";
  const r = new ByteReader(bytes);
  try {
    while (r.remaining > 0) {
      const tag = r.varint64();
      const field = Math.floor(tag / 8);
      const wire = tag % 8;
      if (field === 0) return "field number 0";
      const known = schema[field];
      const packedOk = known?.packed && wire === 2;
      if (known && wire !== known.wire && !packedOk) {
        return `field ${field} has wire type ${wire}, expected ${known.wire}`;
      }
      switch (wire) {
        case 0:
          r.varint64();
          break;
        case 1:
          r.bytes(8);
          break;
        case 5:
          r.bytes(4);
          break;
        case 2: {
          const body = r.bytes(r.varint64());
          if (known?.message) {
            const inner = wireProblem(body, known.message, depth + 1);
            if (inner) return `field ${field}: ${inner}`;
          }
          break;
        }
        default:
          return `field ${field} uses wire type ${wire} (groups are not allowed)`;
      }
    }
  } catch (e) {
    return (e as Error).message;
  }
  return undefined;
}
