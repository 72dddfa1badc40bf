/**
 * Builds the PLAN of a job: TF's warm_start loop (tensorflow/python/training/warm_starting_util.py) over the NEW model,
 * turned into byte sources for every output tensor. Pure decisions; the only I/O is through the
 * injected readers (indexes are already loaded; vocabulary files are read here).
 *
 * @module
 */
import { type BundleEntry, type BundleIndex, dtypeName, keyId } from "../checkpoint/mod.ts";
import { SettingsError } from "./errors.ts";
import { DeferredErrors, type PartAssignment, type VocabStats } from "./assignment.ts";
import type { NewModel } from "./new_model.ts";
import { objectGraphRenames } from "./object_renames.ts";
import {
  type Plan,
  type PlannedShard,
  type PlannedTensor,
  type RemapPass,
  type Segment,
  segmentLength,
} from "./plan.ts";
import { planCopy } from "./plan_copy.ts";
import { passLayout } from "./remap_layout.ts";
import { planRemapPasses } from "./remap_strategy.ts";
import { DEFAULT_TUNING, type Tuning } from "./tuning.ts";
import { planVocab } from "./plan_vocab.ts";
import { suggest } from "./did_you_mean.ts";
import { dictKeysRepr, setRepr } from "./python_repr.ts";
import { selectVariables } from "./selection.ts";
import type { JobSpec, VariableReport } from "./types.ts";
import type { VocabularyCache } from "./vocab_cache.ts";

/** Everything the planner needs, already loaded. */
export interface PlanInputs {
  /** The job. */
  spec: JobSpec;
  /** OLD's index. */
  oldIndex: BundleIndex;
  /** NEW's index. */
  newIndex: BundleIndex;
  /** NEW's variables as warm_start sees them. */
  model: NewModel;
  /** OLD's checkpoint keys by variable name, when OLD is object-based (object_renames.ts). */
  oldObjectKeys?: Map<string, string>;
  /** Sizes of NEW's data shards (to carry trailing padding). */
  newShardSizes: number[];
  /** The job's vocabulary files. */
  vocabularies: VocabularyCache;
  /** Stops a long plan (the job's deadline). */
  signal?: AbortSignal;
  /** The budget the remap strategies are chosen for (default {@link DEFAULT_TUNING}). */
  tuning?: Tuning;
}

/**
 * Runs TF's warm_start decisions and returns the plan. Throws SettingsError for every case where
 * TF raises (at call time, or when its initialisers run).
 */
export async function buildPlan(inputs: PlanInputs): Promise<Plan> {
  const { spec, oldIndex, model } = inputs;
  const selection = await selectVariables(model.variables, spec.varsToWarmStart, inputs.signal);
  const deferred = new DeferredErrors();
  const ckptArg = spec.ckptToInitializeFrom;

  let prevNames = spec.varNameToPrevVarName;
  const prevUsed = new Set<string>();
  if (Object.keys(prevNames).length === 0 && inputs.oldObjectKeys) {
    prevNames = objectGraphRenames(selection.groups.map((g) => g.name), inputs.oldObjectKeys);
  }

  const assignments = new Map<string, PartAssignment>(); // NEW entry key (binary) -> assignment
  const vocabStats = new Map<string, VocabStats>();
  const vocabUsed = new Set<string>();
  const copyCtx = { ckptArg, oldIndex, deferred };
  const vocabCtx = { ...copyCtx, vocabularies: inputs.vocabularies };

  for (const group of selection.groups) {
    const prev = Object.hasOwn(prevNames, group.name) ? prevNames[group.name] : undefined;
    if (prev) prevUsed.add(group.name);
    const info = Object.hasOwn(spec.varNameToVocabInfo, group.name)
      ? spec.varNameToVocabInfo[group.name]
      : undefined;
    let planned: PartAssignment[] = [];
    if (info) {
      vocabUsed.add(group.name);
      const result = await planVocab(group, info, prev || group.name, vocabCtx);
      planned = result.assignments;
      vocabStats.set(group.name, result.stats);
    } else if (selection.truthy) {
      planned = planCopy(group, prev || group.name, copyCtx);
    }
    for (const a of planned) assignments.set(keyId(a.part.entry.key), a);
  }

  // TF checks var_name_to_prev_var_name first, then var_name_to_vocab_info.
  const viable = selection.groups.map((g) => g.name);
  checkAllUsed("var_name_to_prev_var_name", spec.varNameToPrevVarName, prevUsed, viable);
  checkAllUsed("var_name_to_vocab_info", spec.varNameToVocabInfo, vocabUsed, viable);
  deferred.throwIfAny();
  return assemble(inputs, assignments, vocabStats);
}

/** TF's "unused" ValueError for a settings map whose keys did not all name a selected group. */
function checkAllUsed(
  setting: string,
  map: Record<string, unknown>,
  used: Set<string>,
  viable: string[],
): void {
  const unused = Object.keys(map).filter((k) => !used.has(k));
  if (unused.length === 0) return;
  throw new SettingsError(
    `You provided the following variables in ${setting} that were not used: ` +
      `${setRepr(unused)}.  Perhaps you misspelled them?  Here is the list of viable ` +
      `variable names: ${dictKeysRepr(viable)}${suggest(unused, viable)}`,
    { field: setting },
  );
}

function newRange(entry: BundleEntry): Segment {
  return {
    kind: "range",
    from: "new",
    shardId: entry.shardId,
    offset: entry.offset,
    length: entry.size,
  };
}

/** Lays the output out like NEW: same shards, same tensor order, same padding. */
function assemble(
  inputs: PlanInputs,
  assignments: Map<string, PartAssignment>,
  vocabStats: Map<string, VocabStats>,
): Plan {
  const { newIndex } = inputs;
  const numShards = newIndex.header.numShards;
  const shards: PlannedShard[] = Array.from({ length: numShards }, (_, shardId) => ({
    shardId,
    tensors: [],
  }));
  const dataless: BundleEntry[] = [];
  for (const entry of newIndex.entries) {
    if (entry.slices.length > 0) dataless.push(entry);
    else shards[entry.shardId]?.tensors.push(plannedTensor(entry, assignments));
  }
  for (const shard of shards) {
    shard.tensors.sort((a, b) => a.entry.offset - b.entry.offset || a.entry.size - b.entry.size);
    // Carry NEW's alignment padding (bytes between tensors, and after the last one).
    shard.tensors.forEach((t, i) => {
      const end = t.entry.offset + t.entry.size;
      const next = shard.tensors[i + 1]?.entry.offset ?? inputs.newShardSizes[shard.shardId];
      if (next > end) {
        t.padding = [{
          kind: "range",
          from: "new",
          shardId: shard.shardId,
          offset: end,
          length: next - end,
        }];
      }
    });
  }
  const remapPasses = planRemapPasses(shards, inputs.oldIndex, inputs.tuning ?? DEFAULT_TUNING);
  return {
    oldPrefix: inputs.oldIndex.prefix,
    newPrefix: newIndex.prefix,
    output: inputs.spec.output,
    header: newIndex.header,
    shards,
    dataless,
    remapPasses,
    ...(inputs.model.metaLocation ? { metaLocation: inputs.model.metaLocation } : {}),
    variables: variableReports(inputs, assignments, vocabStats, remapPasses),
  };
}

function plannedTensor(
  entry: BundleEntry,
  assignments: Map<string, PartAssignment>,
): PlannedTensor {
  const a = assignments.get(keyId(entry.key));
  const segments = a ? a.segments : [newRange(entry)];
  const size = segments.reduce((n, s) => n + segmentLength(s), 0);
  const crc32c = a ? a.crc32c : entry.crc32c;
  return { entry, segments, size, padding: [], ...(crc32c !== undefined ? { crc32c } : {}) };
}

function variableReports(
  inputs: PlanInputs,
  assignments: Map<string, PartAssignment>,
  vocabStats: Map<string, VocabStats>,
  passes: RemapPass[],
): VariableReport[] {
  return inputs.model.variables.map((v) => {
    const parts = v.parts.map((p) => assignments.get(keyId(p.entry.key)));
    const done = parts.filter((a): a is PartAssignment => a !== undefined);
    const stats = vocabStats.get(v.name);
    const rows = done.flatMap((a) => a.segments).find((s) => s.kind === "rows" && s.pass);
    const pass = rows?.kind === "rows" && rows.pass ? passes[rows.pass.id] : undefined;
    const read = stats?.axis === 0 && done.length > 0
      ? (pass ? readReport(pass) : { strategy: "runs" as const })
      : undefined;
    const action = stats && done.length > 0 ? "remap" : done.length > 0 ? "copy" : "keep";
    const bytes = v.parts.reduce((n, p) => n + p.entry.size, 0);
    return {
      name: v.name,
      key: v.key,
      dtype: dtypeName(v.dtype),
      shape: v.shape,
      action,
      ...(done.length > 0 ? { source: done[0].source } : {}),
      bytes,
      ...(stats && done.length > 0 ? { vocab: read ? { ...stats, read } : stats } : {}),
      ...(v.partitioned ? { partitions: v.parts.length } : {}),
      ...(done.length > 0 && done.length < v.parts.length ? { partsWarmStarted: done.length } : {}),
    };
  });
}

/** How a remap pass reads its OLD rows, for the report. */
function readReport(pass: RemapPass): NonNullable<NonNullable<VariableReport["vocab"]>["read"]> {
  const layout = passLayout(pass);
  return {
    strategy: pass.strategy,
    windows: layout.windows,
    buckets: layout.sections,
    ...(pass.strategy === "buckets" ? { spillBytes: pass.neededRows * pass.rowBytes } : {}),
  };
}
