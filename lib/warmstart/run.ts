/**
 * Runs one warm-start job: resolve -> plan -> execute -> publish.
 *
 * @module
 */
import { type BundleIndex, readBundleIndex } from "../checkpoint/bundle_index.ts";
import { dataLocation, indexLocation } from "../checkpoint/naming.ts";
import { decodeObjectGraph, type ObjectGraph } from "../checkpoint/object_graph.ts";
import { resolveCheckpointPrefix } from "../checkpoint/state_file.ts";
import { decodeStringTensor } from "../checkpoint/string_tensor.ts";
import { readTensorBytes } from "../checkpoint/tensor_reader.ts";
import { NotFoundError, ObjectChangedError, SettingsError } from "../errors.ts";
import { Limiter } from "../storage/limiter.ts";
import { withRetries } from "../storage/retry.ts";
import type { Store } from "../storage/store.ts";
import { parseLocation } from "../storage/location.ts";
import * as posix from "node:path/posix";
import { executePlan } from "./executor.ts";
import { loadNewModel, OBJECT_GRAPH_KEY } from "./new_model.ts";
import { buildPlan } from "./planner.ts";
import { buildReport } from "./report.ts";
import type { JobSpec, ProgressEvent, Report } from "./types.ts";
import { parseVocabulary, type Vocabulary, VocabularyIndex } from "./vocab_file.ts";

/** Options for {@link runWarmStart}. */
export interface RunOptions {
  /** Where every location of the spec is read and written. */
  store: Store;
  /** Plan only: return the report without moving a byte. */
  dryRun?: boolean;
  /** Progress callback (CLI: stderr, HTTP: NDJSON). */
  onProgress?: (event: ProgressEvent) => void;
  signal?: AbortSignal;
  /** Bytes per streamed chunk (default 1 MiB). */
  chunkBytes?: number;
  /** Chunks read ahead of the writer (default 4). */
  readConcurrency?: number;
  /** OLD rows of a vocabulary remap held in memory at most (default 64 MiB). */
  rowCacheBytes?: number;
  /** Retry transient storage faults (5xx, throttling, resets, short bodies); default true. */
  retries?: boolean;
}

const VARIABLE_SUFFIX = "/.ATTRIBUTES/VARIABLE_VALUE";

async function readObjectGraph(store: Store, index: BundleIndex): Promise<ObjectGraph | undefined> {
  const entry = index.get(OBJECT_GRAPH_KEY);
  if (!entry) return undefined;
  const bytes = await readTensorBytes(store, index, entry);
  return decodeObjectGraph(decodeStringTensor(bytes, 1)[0]);
}

/** TF's `_get_object_checkpoint_renames` map (full_name -> key), later entries winning. */
function objectRenames(graph: ObjectGraph, withPaths: boolean): Map<string, string> {
  const renames = new Map<string, string>();
  for (const node of graph.nodes) {
    for (const a of node.attributes) renames.set(a.fullName, a.checkpointKey);
  }
  if (withPaths) {
    // NEW is object-based too: its variables may be named by object path (see new_model.ts).
    for (const node of graph.nodes) {
      for (const a of node.attributes) {
        if (!a.checkpointKey.endsWith(VARIABLE_SUFFIX)) continue;
        const path = a.checkpointKey.slice(0, -VARIABLE_SUFFIX.length);
        if (!renames.has(path)) renames.set(path, a.checkpointKey);
      }
    }
  }
  return renames;
}

async function etagOf(store: Store, prefix: string): Promise<string | undefined> {
  return (await store.stat(indexLocation(prefix)))?.etag;
}

async function shardStats(store: Store, index: BundleIndex) {
  const n = index.header.numShards;
  const locations = Array.from({ length: n }, (_, i) => dataLocation(index.prefix, i, n));
  const stats = await Promise.all(locations.map((l) => store.stat(l)));
  stats.forEach((s, i) => {
    if (!s) {
      throw new NotFoundError(`${locations[i]}; No such file or directory (data shard missing)`, {
        location: locations[i],
      });
    }
  });
  return { locations, stats: stats.map((s) => s!) };
}

/**
 * Warm-starts `spec.newCheckpoint` from `spec.ckptToInitializeFrom` into `spec.output`.
 * Throws SettingsError for TF's ValueError cases (nothing written), CheckpointError /
 * StorageError otherwise (nothing published).
 */
export async function runWarmStart(spec: JobSpec, options: RunOptions): Promise<Report> {
  const started = performance.now();
  // Multipart parts retry inside the S3 store; whole requests retry here.
  const store = options.retries === false ? options.store : withRetries(options.store);
  const progress = (phase: ProgressEvent["phase"], message: string) =>
    options.onProgress?.({ phase, message });

  progress("resolve", `resolving ${spec.ckptToInitializeFrom} and ${spec.newCheckpoint}`);
  const [oldPrefix, newPrefix] = await Promise.all([
    resolveInput(store, spec.ckptToInitializeFrom, "ckpt_to_initialize_from"),
    resolveInput(store, spec.newCheckpoint, "new_checkpoint"),
  ]);
  await refuseOutputOverInput(store, spec.output, [oldPrefix, newPrefix]);
  // An input rewritten while we read it must fail the job, not mix versions: remember each
  // index's ETag now, check it again once the data shards are pinned (their reads use If-Match).
  const indexEtags = await Promise.all([oldPrefix, newPrefix].map((p) => etagOf(store, p)));
  const [oldIndex, newIndex] = await Promise.all([
    readBundleIndex(store, oldPrefix),
    readBundleIndex(store, newPrefix),
  ]);
  const [oldShards, newShards, oldGraph, newGraph] = await Promise.all([
    shardStats(store, oldIndex),
    shardStats(store, newIndex),
    readObjectGraph(store, oldIndex),
    readObjectGraph(store, newIndex),
  ]);
  const indexEtagsAfter = await Promise.all([oldPrefix, newPrefix].map((p) => etagOf(store, p)));
  indexEtags.forEach((etag, i) => {
    if (etag !== indexEtagsAfter[i]) {
      const location = indexLocation([oldPrefix, newPrefix][i]);
      throw new ObjectChangedError(
        `${location} changed while the job was reading it; run it again`,
        {
          location,
        },
      );
    }
  });
  const etags = new Map<string, string>();
  for (const s of [oldShards, newShards]) {
    s.locations.forEach((l, i) => etags.set(l, s.stats[i].etag));
  }

  progress("plan", "planning");
  const model = await loadNewModel(store, newIndex, {
    ...(spec.trainableVariables ? { trainableVariables: spec.trainableVariables } : {}),
    ...(newGraph ? { objectGraph: newGraph } : {}),
  });
  // Each vocabulary file is read, parsed and indexed once per job.
  const vocabularies = new Map<string, Promise<Vocabulary>>();
  const indexes = new Map<string, Promise<VocabularyIndex>>();
  const cached = <T>(cache: Map<string, Promise<T>>, key: string, make: () => Promise<T>) => {
    let value = cache.get(key);
    if (!value) cache.set(key, value = make());
    return value;
  };
  const readVocabulary = (location: string, vocabSize: number) =>
    cached(
      vocabularies,
      `${vocabSize}\u0000${location}`,
      () => readVocabularyFile(store, location, vocabSize),
    );
  const indexVocabulary = (location: string, vocabSize: number) =>
    cached(
      indexes,
      `${vocabSize}\u0000${location}`,
      async () => new VocabularyIndex(await readVocabulary(location, vocabSize)),
    );
  const plan = await buildPlan({
    spec,
    oldIndex,
    newIndex,
    model,
    ...(oldGraph ? { oldObjectRenames: objectRenames(oldGraph, newGraph !== undefined) } : {}),
    newShardSizes: newShards.stats.map((s) => s.size),
    readVocabulary,
    indexVocabulary,
  });
  if (options.dryRun) {
    return buildReport(spec, plan, true, Math.round(performance.now() - started));
  }
  await executePlan(plan, {
    store,
    oldIndex,
    newIndex,
    etags,
    chunkBytes: options.chunkBytes ?? 1024 * 1024,
    rowGapBytes: 64 * 1024,
    readLimiter: new Limiter(16),
    rowCacheBytes: options.rowCacheBytes ?? 64 * 1024 * 1024,
    readConcurrency: options.readConcurrency ?? 4,
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const report = buildReport(spec, plan, false, Math.round(performance.now() - started));
  progress("done", `wrote ${spec.output} (${report.totals.bytesWritten} bytes)`);
  return report;
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
async function refuseOutputOverInput(store: Store, output: string, inputs: string[]) {
  const refuse = (input: string) => {
    throw new SettingsError(
      `output ${output} is the input checkpoint ${input}; write the merged checkpoint to a new ` +
        "prefix",
      { field: "output", kind: "spec" },
    );
  };
  for (const input of inputs) if (canonical(output) === canonical(input)) refuse(input);
  if (parseLocation(output).scheme !== "file") return;
  const files = (prefix: string) => [indexLocation(prefix), dataLocation(prefix, 0, 1)];
  const etags = async (locations: string[]) =>
    (await Promise.all(locations.map((l) => store.stat(l)))).map((s) => s?.etag);
  const outputEtags = await etags(files(output));
  for (const input of inputs) {
    const inputEtags = await etags(files(input));
    if (outputEtags.some((e) => e !== undefined && inputEtags.includes(e))) refuse(input);
  }
}

/** A spec naming a checkpoint that does not exist is a settings error (TF raises too). */
async function resolveInput(store: Store, location: string, field: string): Promise<string> {
  try {
    return await resolveCheckpointPrefix(store, location);
  } catch (e) {
    if (e instanceof NotFoundError) {
      throw new SettingsError(`${field}: ${e.message}`, { field });
    }
    throw e;
  }
}

async function readVocabularyFile(
  store: Store,
  location: string,
  size: number,
): Promise<Vocabulary> {
  let bytes: Uint8Array;
  try {
    bytes = await store.read(location);
  } catch (e) {
    if (e instanceof NotFoundError) {
      throw new SettingsError(`${location}; No such file or directory (vocabulary file)`, {
        field: location,
      });
    }
    throw e;
  }
  return parseVocabulary(bytes, location, size);
}
