/**
 * TF2 TrackableObjectGraph (the `_CHECKPOINTABLE_OBJECT_GRAPH` string scalar,
 * tensorflow/core/protobuf/trackable_object_graph.proto): decoded
 * to plain data and encoded back with the same bytes TF writes (for graphs TF wrote).
 *
 * @module
 */
import { CorruptCheckpointError } from "./errors.ts";
import type { BundleIndex } from "./bundle_index.ts";
import { type EntrySource, readTensorBytes } from "./entry_reader.ts";
import { encodeMessage, ProtoTypes } from "./proto_schema.ts";
import { decodeStringTensor } from "./string_tensor.ts";
import { dataLocation } from "./naming.ts";
import { ObjectTooLargeError } from "../storage/mod.ts";

/** Key of the object graph in TF2 checkpoints. */
export const OBJECT_GRAPH_KEY = "_CHECKPOINTABLE_OBJECT_GRAPH";

/**
 * Suffix of a variable's checkpoint key after its object path (tensorflow/python/trackable/
 * base.py: `.ATTRIBUTES` + `VARIABLE_VALUE`).
 */
export const VARIABLE_VALUE_SUFFIX = "/.ATTRIBUTES/VARIABLE_VALUE";

/** A child edge: node id and its (unescaped) local name. */
export interface ObjectReference {
  /** The child node. */
  nodeId: number;
  /** Its name under this node (unescaped). */
  localName: string;
}

/** A saved attribute of an object (e.g. VARIABLE_VALUE) and its bundle key. */
export interface SerializedTensor {
  /** Attribute name (`VARIABLE_VALUE` for variables). */
  name: string;
  /** The graph name of the saved tensor (`full_name`). */
  fullName: string;
  /** The bundle key it is stored under. */
  checkpointKey: string;
}

/** An optimizer slot: which variable, which slot, which node holds it. */
export interface SlotVariableReference {
  /** Node of the variable the slot belongs to. */
  originalVariableNodeId: number;
  /** Slot name (e.g. `m`, `momentum`). */
  slotName: string;
  /** Node holding the slot variable. */
  slotVariableNodeId: number;
}

/** One node of the graph. */
export interface TrackableObject {
  /** Child edges. */
  children: ObjectReference[];
  /** Saved attributes (a variable has one, `VARIABLE_VALUE`). */
  attributes: SerializedTensor[];
  /** Optimizer slots of this object's variables. */
  slotVariables: SlotVariableReference[];
  /** A registered saver, when the object has one. */
  registeredSaver?: { name: string; objectName: string };
  /** google.protobuf.BoolValue: undefined when not set. */
  hasCheckpointValues?: boolean;
}

/** The whole graph; node 0 is the root. */
export interface ObjectGraph {
  /** Every node, by id. */
  nodes: TrackableObject[];
}

interface Decoded {
  nodes?: Array<{
    children?: Array<{ nodeId?: number; localName?: string }>;
    attributes?: Array<{ name?: string; fullName?: string; checkpointKey?: string }>;
    slotVariables?: Array<
      { originalVariableNodeId?: number; slotName?: string; slotVariableNodeId?: number }
    >;
    registeredSaver?: { name?: string; objectName?: string };
    hasCheckpointValues?: { value?: boolean };
  }>;
}

/** Decodes a serialized TrackableObjectGraph. */
export function decodeObjectGraph(bytes: Uint8Array, location?: string): ObjectGraph {
  let m: Decoded;
  try {
    m = ProtoTypes.TrackableObjectGraph.decode(bytes) as unknown as Decoded;
  } catch (e) {
    throw new CorruptCheckpointError(
      `Object graph ${location ?? ""} is not parseable: ${(e as Error).message}`,
      { location, key: OBJECT_GRAPH_KEY },
    );
  }
  return {
    nodes: (m.nodes ?? []).map((n) => {
      const node: TrackableObject = {
        children: (n.children ?? []).map((c) => ({
          nodeId: c.nodeId ?? 0,
          localName: c.localName ?? "",
        })),
        attributes: (n.attributes ?? []).map((a) => ({
          name: a.name ?? "",
          fullName: a.fullName ?? "",
          checkpointKey: a.checkpointKey ?? "",
        })),
        slotVariables: (n.slotVariables ?? []).map((s) => ({
          originalVariableNodeId: s.originalVariableNodeId ?? 0,
          slotName: s.slotName ?? "",
          slotVariableNodeId: s.slotVariableNodeId ?? 0,
        })),
      };
      if (n.registeredSaver) {
        node.registeredSaver = {
          name: n.registeredSaver.name ?? "",
          objectName: n.registeredSaver.objectName ?? "",
        };
      }
      if (n.hasCheckpointValues) node.hasCheckpointValues = n.hasCheckpointValues.value ?? false;
      return node;
    }),
  };
}

function nonDefault<T extends Record<string, unknown>>(o: T): Partial<T> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== 0 && v !== "" && v !== false) out[k] = v;
  return out as Partial<T>;
}

/** Encodes a graph (proto3 rules: default scalars omitted, set sub-messages always written). */
export function encodeObjectGraph(g: ObjectGraph): Uint8Array {
  const msg = {
    nodes: g.nodes.map((n) => {
      const node: Record<string, unknown> = {
        children: n.children.map((c) => nonDefault({ ...c })),
        attributes: n.attributes.map((a) => nonDefault({ ...a })),
        slotVariables: n.slotVariables.map((s) => nonDefault({ ...s })),
      };
      if (n.registeredSaver) node.registeredSaver = nonDefault({ ...n.registeredSaver });
      if (n.hasCheckpointValues !== undefined) {
        node.hasCheckpointValues = n.hasCheckpointValues ? { value: true } : {};
      }
      return node;
    }),
  };
  return encodeMessage(ProtoTypes.TrackableObjectGraph, msg);
}

/**
 * Largest object graph read by default (64 MiB): it is decoded whole, and real ones are a few
 * hundred bytes per object.
 */
export const MAX_OBJECT_GRAPH_BYTES = 64 * 1024 * 1024;

/**
 * The object graph of a TF2 object-based checkpoint, or undefined for a name-based one.
 *
 * @param store where the data shards are read
 * @param index the bundle's index
 * @param maxBytes largest graph entry read (default {@link MAX_OBJECT_GRAPH_BYTES})
 * @returns the decoded graph
 * @throws ObjectTooLargeError when the entry is larger (checked before reading)
 */
export async function readObjectGraph(
  store: EntrySource,
  index: BundleIndex,
  maxBytes: number = MAX_OBJECT_GRAPH_BYTES,
): Promise<ObjectGraph | undefined> {
  const entry = index.get(OBJECT_GRAPH_KEY);
  if (!entry) return undefined;
  if (entry.size > maxBytes) {
    const location = dataLocation(index.prefix, entry.shardId, index.header.numShards);
    throw new ObjectTooLargeError(location, "Object graph", entry.size, maxBytes);
  }
  const bytes = await readTensorBytes(store, index, entry);
  return decodeObjectGraph(decodeStringTensor(bytes, 1)[0], index.prefix);
}
