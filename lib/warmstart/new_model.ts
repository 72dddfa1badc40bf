/**
 * Loads the NEW model's variables from the NEW checkpoint (index, `.meta`, object graph).
 *
 * @module
 */
import {
  type BundleIndex,
  metaGraphLocation,
  OBJECT_GRAPH_KEY,
  type ObjectGraph,
  readGraphVariables,
  readTrainableVariables,
  VARIABLE_VALUE_SUFFIX,
} from "../checkpoint/mod.ts";
import { SpecError } from "./errors.ts";
import { ObjectNotFoundError, readCapped, type Store } from "../storage/mod.ts";
import { DEFAULT_LIMITS } from "./limits.ts";
import { keyName, type ModelVariable, partsOf } from "./model_variables.ts";
import { isNonTrainableByName, trainableFromObjectGraph } from "./trainable.ts";

/** The NEW model. */
export interface NewModel {
  variables: ModelVariable[];
  /** How trainability was decided. */
  trainableSource: "spec" | "meta" | "object_graph" | "name_rules";
  /** Location of NEW's `.meta`, when it has one (carried over to the output). */
  metaLocation?: string;
}

/** Options for {@link loadNewModel}. */
export interface LoadNewModelOptions {
  /** The spec's `trainable_variables` override. */
  trainableVariables?: string[];
  /** NEW's decoded object graph, for TF2 object-based checkpoints. */
  objectGraph?: ObjectGraph;
  /** Largest `.meta` read (default 64 MiB, limits.ts); checked by a stat before reading. */
  maxMetaBytes?: number;
}

/**
 * Lists NEW's variables with their parts and trainability.
 */
export async function loadNewModel(
  store: Store,
  index: BundleIndex,
  options: LoadNewModelOptions = {},
): Promise<NewModel> {
  const names = variableNames(index, options.objectGraph);
  const variables: ModelVariable[] = [];
  for (const entry of index.variables()) {
    const key = keyName(entry.key);
    const name = names.get(key);
    if (name === undefined) continue; // object graph, iterator state, ... : carried over
    variables.push({
      name,
      key,
      entry,
      dtype: entry.dtype,
      shape: entry.shape,
      trainable: false,
      partitioned: entry.slices.length > 0,
      parts: partsOf(name, entry, (slice) => index.getSlice(entry.key, slice)),
    });
  }

  const metaLocation = metaGraphLocation(index.prefix);
  const metaStat = await store.stat(metaLocation);
  const hasMeta = metaStat !== undefined;
  let trainableSource: NewModel["trainableSource"];
  if (options.trainableVariables) {
    trainableSource = "spec";
    const known = new Set(variables.map((v) => v.name));
    for (const name of options.trainableVariables) {
      if (!known.has(name)) {
        throw new SpecError(
          `trainable_variables names "${name}", which is not a variable of the NEW checkpoint ` +
            `${index.prefix} (its variables: ${[...known].join(", ")})`,
          { field: "trainable_variables" },
        );
      }
    }
    const set = new Set(options.trainableVariables);
    for (const v of variables) v.trainable = set.has(v.name);
  } else if (hasMeta && !options.objectGraph) {
    trainableSource = "meta";
    const meta = await readMeta(store, metaLocation, options.maxMetaBytes);
    const set = new Set(readTrainableVariables(meta, metaLocation));
    for (const v of variables) v.trainable = set.has(v.name);
    nameSinglePartitions(variables, meta, metaLocation);
  } else if (options.objectGraph) {
    trainableSource = "object_graph";
    const { trainableKeys } = trainableFromObjectGraph(options.objectGraph);
    for (const v of variables) {
      v.trainable = trainableKeys.has(v.key) && !isNonTrainableByName(v.name);
    }
  } else {
    trainableSource = "name_rules";
    for (const v of variables) v.trainable = !isNonTrainableByName(v.name);
  }
  return { variables, trainableSource, ...(hasMeta ? { metaLocation } : {}) };
}

/** NEW's `.meta`, refused above the cap before it is read (it is decoded whole). */
async function readMeta(store: Store, location: string, maxBytes?: number): Promise<Uint8Array> {
  try {
    return await readCapped(store, location, maxBytes ?? DEFAULT_LIMITS.maxMetaBytes, "NEW .meta");
  } catch (e) {
    if (e instanceof ObjectNotFoundError) {
      throw new ObjectNotFoundError(`${location} was deleted during the job`, { location });
    }
    throw e;
  }
}

/**
 * A variable made with a one-part partitioner is stored as a plain tensor, but its graph name is
 * `<name>/part_0`: TF's regexes see that name, and it groups as a partition.
 */
function nameSinglePartitions(variables: ModelVariable[], meta: Uint8Array, location: string) {
  const parts = new Map<string, string[]>();
  for (const g of readGraphVariables(meta, "variables", location)) {
    if (g.fullName) parts.set(g.fullName, [...(parts.get(g.fullName) ?? []), g.name]);
  }
  for (const v of variables) {
    const names = parts.get(v.name);
    if (v.partitioned || names?.length !== 1) continue;
    v.partitioned = true;
    v.parts = [{ ...v.parts[0], name: names[0] }];
  }
}

/** Checkpoint key -> variable name. */
function variableNames(index: BundleIndex, graph: ObjectGraph | undefined): Map<string, string> {
  const names = new Map<string, string>();
  if (!graph) {
    for (const entry of index.variables()) {
      const key = keyName(entry.key);
      if (key !== OBJECT_GRAPH_KEY) names.set(key, key);
    }
    return names;
  }
  const attrs = graph.nodes.flatMap((n) => n.attributes).filter((a) => a.name === "VARIABLE_VALUE");
  const count = new Map<string, number>();
  for (const a of attrs) count.set(a.fullName, (count.get(a.fullName) ?? 0) + 1);
  for (const a of attrs) {
    const unique = a.fullName !== "" && count.get(a.fullName) === 1;
    const path = a.checkpointKey.endsWith(VARIABLE_VALUE_SUFFIX)
      ? a.checkpointKey.slice(0, -VARIABLE_VALUE_SUFFIX.length)
      : a.checkpointKey;
    names.set(a.checkpointKey, unique ? a.fullName : path);
  }
  return names;
}
