/**
 * The protobuf messages the checkpoint layer needs, defined in code for npm:protobufjs (proto3,
 * field numbers as in TF 2.21's .proto files; unknown fields are skipped by the decoder).
 * {@link int64ToNumber} is the ONE place where protobuf int64 values become numbers.
 *
 * @module
 */
import protobuf from "protobufjs";
import { CorruptCheckpointError } from "./errors.ts";

const DESCRIPTOR = {
  nested: {
    tensorflow: {
      nested: {
        VersionDef: {
          fields: {
            producer: { type: "int32", id: 1 },
            minConsumer: { type: "int32", id: 2 },
            badConsumers: { rule: "repeated", type: "int32", id: 3 },
          },
        },
        BundleHeaderProto: {
          fields: {
            numShards: { type: "int32", id: 1 },
            endianness: { type: "int32", id: 2 },
            version: { type: "VersionDef", id: 3 },
          },
        },
        TensorShapeProto: {
          fields: {
            dim: { rule: "repeated", type: "Dim", id: 2 },
            unknownRank: { type: "bool", id: 3 },
          },
          nested: {
            Dim: {
              fields: { size: { type: "int64", id: 1 }, name: { type: "string", id: 2 } },
            },
          },
        },
        TensorSliceProto: {
          fields: { extent: { rule: "repeated", type: "Extent", id: 1 } },
          nested: {
            Extent: {
              oneofs: { hasLength: { oneof: ["length"] } },
              fields: { start: { type: "int64", id: 1 }, length: { type: "int64", id: 2 } },
            },
          },
        },
        BundleEntryProto: {
          fields: {
            dtype: { type: "int32", id: 1 },
            shape: { type: "TensorShapeProto", id: 2 },
            shardId: { type: "int32", id: 3 },
            offset: { type: "int64", id: 4 },
            size: { type: "int64", id: 5 },
            crc32c: { type: "fixed32", id: 6 },
            slices: { rule: "repeated", type: "TensorSliceProto", id: 7 },
          },
        },
        // --- TF1 MetaGraphDef, only what readTrainableVariables needs ---
        MetaGraphDef: {
          fields: {
            collectionDef: { keyType: "string", type: "CollectionDef", id: 4 },
          },
        },
        CollectionDef: {
          oneofs: {
            kind: { oneof: ["nodeList", "bytesList", "int64List", "floatList", "anyList"] },
          },
          fields: {
            nodeList: { type: "NodeList", id: 1 },
            bytesList: { type: "BytesList", id: 2 },
            int64List: { type: "Skip", id: 3 },
            floatList: { type: "Skip", id: 4 },
            anyList: { type: "Skip", id: 5 },
          },
          nested: {
            NodeList: { fields: { value: { rule: "repeated", type: "string", id: 1 } } },
            BytesList: { fields: { value: { rule: "repeated", type: "bytes", id: 1 } } },
            Skip: { fields: {} },
          },
        },
        VariableDef: {
          fields: {
            variableName: { type: "string", id: 1 },
            initializerName: { type: "string", id: 2 },
            snapshotName: { type: "string", id: 3 },
            saveSliceInfoDef: { type: "SaveSliceInfoDef", id: 4 },
            isResource: { type: "bool", id: 5 },
            initialValueName: { type: "string", id: 6 },
            trainable: { type: "bool", id: 7 },
          },
        },
        SaveSliceInfoDef: {
          fields: { fullName: { type: "string", id: 1 } },
        },
        // --- TF2 TrackableObjectGraph (trackable_object_graph.proto) ---
        TrackableObjectGraph: {
          fields: { nodes: { rule: "repeated", type: "TrackableObject", id: 1 } },
          nested: {
            TrackableObject: {
              fields: {
                children: { rule: "repeated", type: "ObjectReference", id: 1 },
                attributes: { rule: "repeated", type: "SerializedTensor", id: 2 },
                slotVariables: { rule: "repeated", type: "SlotVariableReference", id: 3 },
                registeredSaver: { type: "RegisteredSaver", id: 4 },
                hasCheckpointValues: { type: "BoolValue", id: 5 },
              },
              nested: {
                ObjectReference: {
                  fields: {
                    nodeId: { type: "int32", id: 1 },
                    localName: { type: "string", id: 2 },
                  },
                },
                SerializedTensor: {
                  fields: {
                    name: { type: "string", id: 1 },
                    fullName: { type: "string", id: 2 },
                    checkpointKey: { type: "string", id: 3 },
                  },
                },
                SlotVariableReference: {
                  fields: {
                    originalVariableNodeId: { type: "int32", id: 1 },
                    slotName: { type: "string", id: 2 },
                    slotVariableNodeId: { type: "int32", id: 3 },
                  },
                },
                RegisteredSaver: {
                  fields: {
                    name: { type: "string", id: 1 },
                    objectName: { type: "string", id: 2 },
                  },
                },
                BoolValue: { fields: { value: { type: "bool", id: 1 } } },
              },
            },
          },
        },
      },
    },
  },
};

const root = protobuf.Root.fromJSON(DESCRIPTOR);

/** The protobufjs message types, looked up once. */
export const ProtoTypes = {
  BundleHeaderProto: root.lookupType("tensorflow.BundleHeaderProto"),
  BundleEntryProto: root.lookupType("tensorflow.BundleEntryProto"),
  TensorSliceProto: root.lookupType("tensorflow.TensorSliceProto"),
  MetaGraphDef: root.lookupType("tensorflow.MetaGraphDef"),
  VariableDef: root.lookupType("tensorflow.VariableDef"),
  TrackableObjectGraph: root.lookupType("tensorflow.TrackableObjectGraph"),
} as const;

/** Encodes a message object as a plain Uint8Array (protobufjs may hand back a Node Buffer). */
export function encodeMessage(type: protobuf.Type, message: Record<string, unknown>): Uint8Array {
  const buf = type.encode(message).finish();
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength).slice();
}

/** What protobufjs hands back for an int64 field: a number or a Long. */
export type Int64Value =
  | number
  | { low: number; high: number; unsigned?: boolean }
  | null
  | undefined;

/**
 * Converts a decoded int64 to a safe number; absent → 0. Values outside [−2^53+1, 2^53−1]
 * throw CorruptCheckpointError (offsets and sizes that large cannot be real).
 */
export function int64ToNumber(v: Int64Value, what: string): number {
  if (v === null || v === undefined) return 0;
  if (typeof v === "number") {
    if (!Number.isSafeInteger(v)) {
      throw new CorruptCheckpointError(`${what}: ${v} is not a safe integer`, { actual: v });
    }
    return v;
  }
  const low = v.low >>> 0;
  const high = v.unsigned ? v.high >>> 0 : v.high | 0;
  const n = high * 0x100000000 + low;
  if (!Number.isSafeInteger(n) || high > 0x1fffff || high < -0x200000) {
    throw new CorruptCheckpointError(`${what}: int64 value out of the safe range`, {
      actual: `high=${high} low=${low}`,
    });
  }
  return n;
}
