/**
 * Opens the two input checkpoints of a job: resolves each location to a prefix (a directory
 * through its `checkpoint` state file, like tf.train.load_checkpoint), reads both indexes and
 * object graphs, and stats every data shard — all through the job's store, which pins each
 * object to the ETag first seen. The indexes are stat'ed again once the shards are pinned, so an
 * input rewritten while it was being opened fails the job instead of mixing versions.
 *
 * @module
 */
import * as posix from "node:path/posix";
import {
  type BundleIndex,
  checkEntryExtents,
  CheckpointNotFoundError,
  dataLocation,
  indexLocation,
  KerasFileError,
  type ObjectGraph,
  readBundleIndex,
  readObjectGraph,
  resolveCheckpointPrefix,
} from "../checkpoint/mod.ts";
import { type JobStore, ObjectNotFoundError, parseLocation } from "../storage/mod.ts";
import { SettingsError, SpecError } from "./errors.ts";
import { DEFAULT_LIMITS, type InputLimits } from "./limits.ts";
import type { JobSpec } from "./types.ts";

/** One opened input checkpoint. */
export interface OpenCheckpoint {
  /** The resolved prefix. */
  prefix: string;
  /** Its index. */
  index: BundleIndex;
  /** Its object graph, when it is a TF2 object-based checkpoint. */
  graph?: ObjectGraph;
  /** Size of every data shard, by shard id. */
  shardSizes: number[];
}

/** Both inputs of a job. */
export interface Inputs {
  /** `ckpt_to_initialize_from`. */
  old: OpenCheckpoint;
  /** `new_checkpoint`. */
  new: OpenCheckpoint;
}

/**
 * Opens OLD and NEW (see module docs) and refuses an output that is one of them.
 *
 * @param store the job's store (pins every read)
 * @param spec the job
 * @param limits caps on the index and object graph sizes
 * @returns both checkpoints, opened; every entry checked against its data shard's size
 * @throws SettingsError when a checkpoint does not exist (TF raises too); SpecError when the
 *   output is an input; ObjectTooLargeError above a cap
 */
export async function openInputs(
  store: JobStore,
  spec: JobSpec,
  limits: InputLimits = DEFAULT_LIMITS,
): Promise<Inputs> {
  const [oldPrefix, newPrefix] = await Promise.all([
    resolveInput(store, spec.ckptToInitializeFrom, "ckpt_to_initialize_from"),
    resolveInput(store, spec.newCheckpoint, "new_checkpoint"),
  ]);
  await refuseOutputOverInput(store, spec.output, [oldPrefix, newPrefix]);
  const indexOptions = { maxBytes: limits.maxIndexBytes };
  const [oldIndex, newIndex] = await Promise.all([
    readBundleIndex(store, oldPrefix, indexOptions),
    readBundleIndex(store, newPrefix, indexOptions),
  ]);
  const [old, nu] = await Promise.all([
    open(store, oldIndex, limits),
    open(store, newIndex, limits),
  ]);
  // The pins of the indexes were taken when they were read: a stat now fails with
  // ObjectChangedError if either was rewritten since.
  await Promise.all([oldPrefix, newPrefix].map((p) => store.stat(indexLocation(p))));
  return { old, new: nu };
}

async function open(
  store: JobStore,
  index: BundleIndex,
  limits: InputLimits,
): Promise<OpenCheckpoint> {
  // numShards is bounded by the index's entries (decodeBundleIndex), so is this loop.
  const n = index.header.numShards;
  const [shardSizes, graph] = await Promise.all([
    Promise.all(Array.from({ length: n }, async (_, i) => {
      const location = dataLocation(index.prefix, i, n);
      const st = await store.stat(location);
      if (!st) {
        throw new ObjectNotFoundError(
          `${location}; No such file or directory (data shard missing)`,
          { location },
        );
      }
      return st.size;
    })),
    readObjectGraph(store, index, limits.maxMetaBytes),
  ]);
  // An entry past the end of its data shard, or whose shape claims more bytes than it has, is a
  // corrupt checkpoint, found before any byte moves: every shape is bounded by bytes that exist.
  checkEntryExtents(index, shardSizes);
  return { prefix: index.prefix, index, shardSizes, ...(graph ? { graph } : {}) };
}

/** A spec naming a checkpoint that does not exist is a settings error (TF raises too). */
async function resolveInput(store: JobStore, location: string, field: string): Promise<string> {
  try {
    return await resolveCheckpointPrefix(store, location);
  } catch (e) {
    if (e instanceof CheckpointNotFoundError) {
      throw new SettingsError(`${field}: ${e.message}`, { field });
    }
    if (e instanceof KerasFileError) {
      throw new KerasFileError(`${field}: ${e.message}`, { location: location, field });
    }
    throw e;
  }
}

/** A local location as an absolute, normalized path; S3 keys are compared as they are. */
function canonical(location: string): string {
  const p = parseLocation(location);
  return p.scheme === "file" ? posix.resolve(Deno.cwd(), p.path) : location;
}

/**
 * The output must not be an input: writing it would overwrite (or, on failure, delete) the
 * input's files. Spellings are normalized (`a/./b`, `a//b`, relative vs absolute, `file://`), and
 * for local files an existing output index or data file that IS an input file (same ETag: inode,
 * size and mtime — a symlink or hard link) is refused too.
 */
async function refuseOutputOverInput(store: JobStore, output: string, inputs: string[]) {
  const refuse = (input: string) => {
    throw new SpecError(
      `output ${output} is the input checkpoint ${input}; write the merged checkpoint to a new ` +
        "prefix",
      { field: "output" },
    );
  };
  for (const input of inputs) if (canonical(output) === canonical(input)) refuse(input);
  if (parseLocation(output).scheme !== "file") return;
  const files = (prefix: string) => [indexLocation(prefix), dataLocation(prefix, 0, 1)];
  // Plain stats: the output's files are not inputs and must not be pinned.
  const etags = async (locations: string[]) =>
    (await Promise.all(locations.map((l) => store.stat(l)))).map((s) => s?.etag);
  const outputEtags = await etags(files(output));
  for (const input of inputs) {
    const inputEtags = await etags(files(input));
    if (outputEtags.some((e) => e !== undefined && inputEtags.includes(e))) refuse(input);
  }
}
