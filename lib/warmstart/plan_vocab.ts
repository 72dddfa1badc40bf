/**
 * The plan of a vocabulary remap: TF's `_warm_start_var_with_vocab` ->
 * `_load_and_remap_matrix_initializer` -> GenerateVocabRemapping + LoadAndRemapMatrix, planned
 * per part as row or column moves.
 * See tensorflow/python/training/warm_starting_util.py
 * (_warm_start_var_with_vocab), python/ops/checkpoint_ops.py and
 * core/kernels/load_and_remap_matrix_op.cc. Shape/argument checks happen at call time in TF and throw
 * here; file and kernel checks happen when TF runs the initialisers and are deferred.
 *
 * @module
 */
import { type BundleEntry, type BundleIndex, DT_FLOAT, dtypeName } from "../checkpoint/mod.ts";
import { SettingsError } from "./errors.ts";
import {
  cppDtypeName,
  type DeferredErrors,
  type PartAssignment,
  type VocabStats,
} from "./assignment.ts";
import type { ModelPart } from "./model_variables.ts";
import type { Backup, Segment } from "./plan.ts";
import { listRepr } from "./python_repr.ts";
import type { VariableGroup } from "./selection.ts";
import type { VocabInfo } from "./types.ts";
import type { VocabularyCache } from "./vocab_cache.ts";
import { checkNoDuplicateOldIds, generateVocabRemapping, rowMapFor } from "./vocab_index.ts";

const FLOAT32_SIZE = 4;

/** Inputs of the vocabulary path. */
export interface VocabContext {
  /** `ckpt_to_initialize_from` as the user gave it. */
  ckptArg: string;
  /** OLD's bundle index. */
  oldIndex: BundleIndex;
  /** TF's errors raised only when initialisers run. */
  deferred: DeferredErrors;
  /** The job's vocabulary files. */
  vocabularies: VocabularyCache;
}

/** Result of the vocabulary path for one variable. */
export interface VocabPlan {
  /** What each selected part gets. */
  assignments: PartAssignment[];
  /** Matched, new and OOV rows (columns). */
  stats: VocabStats;
}

/** C++ TensorShape::DebugString: `[5,16]`. */
function cppShape(shape: number[]): string {
  return `[${shape.join(",")}]`;
}

/**
 * Plans the vocabulary remap of one variable group from OLD tensor `prevTensor`, like TF's
 * `_warm_start_var_with_vocab`: the arguments are checked, then every partition gets the rows
 * (axis 0) or columns (axis 1) `_load_and_remap_matrix_initializer` would load for it.
 *
 * @param group the selected variable and its parts
 * @param info the variable's VocabInfo
 * @param prevTensor the OLD checkpoint key
 * @param ctx OLD's index, the vocabularies and the deferred errors
 * @returns the assignments and vocabulary statistics
 */
export async function planVocab(
  group: VariableGroup,
  info: VocabInfo,
  prevTensor: string,
  ctx: VocabContext,
): Promise<VocabPlan> {
  checkVocabArgs(group, info, ctx);
  const totalRows = group.parts.reduce((sum, p) => sum + (p.shape[0] ?? 0), 0);
  const stats: VocabStats = { axis: info.axis, matched: 0, new: 0, oov: 0 };
  const assignments: PartAssignment[] = [];
  const seen = new Set<string>();
  for (const part of group.parts) {
    const geometry = partGeometry(group, info, part, totalRows);
    if (seen.has(part.name)) continue;
    seen.add(part.name);
    if (geometry.offset > geometry.newRowVocabSize) {
      // An OOV-only partition: TF never opens the files for it.
      assignments.push({ part, source: prevTensor, ...backupOnly(part, geometry.backup) });
      if (info.axis === 0) stats.oov += part.shape[0];
      continue;
    }
    if (geometry.numRowOovBuckets < 0 || geometry.numColOovBuckets < 0) {
      const which = geometry.numRowOovBuckets < 0 ? "row" : "col";
      const value = Math.min(geometry.numRowOovBuckets, geometry.numColOovBuckets);
      throw new SettingsError(`num_${which}_oov_buckets must be >= 0, but received ${value}`);
    }
    const planned = await ctx.deferred.capture(() =>
      info.axis === 0
        ? planRows(ctx, info, prevTensor, geometry)
        : planColumns(ctx, info, prevTensor, geometry)
    );
    if (!planned) continue;
    assignments.push({ part, source: prevTensor, segments: planned.segments });
    if (info.axis === 0) {
      stats.matched += planned.present;
      stats.new += geometry.rowsToLoad - planned.present;
      stats.oov += geometry.oovRows;
    } else {
      // Columns are the same in every partition: count them once.
      stats.matched = planned.present;
      stats.new = info.newVocabSize - planned.present;
      stats.oov = geometry.numColOovBuckets;
    }
  }
  return { assignments, stats };
}

/** `_warm_start_var_with_vocab`'s argument checks. */
function checkVocabArgs(group: VariableGroup, info: VocabInfo, ctx: VocabContext): void {
  if (!info.newVocab || !info.newVocabSize || !ctx.ckptArg || !info.oldVocab) {
    throw new SettingsError(
      "Invalid args: Must provide all of [current_vocab_path, current_vocab_size, prev_ckpt, " +
        `prev_vocab_path}. (variable ${group.name}: new_vocab, new_vocab_size > 0 and old_vocab ` +
        "are required)",
    );
  }
  if (group.variable.dtype !== DT_FLOAT) {
    throw new SettingsError(
      `Variable ${group.name} is ${dtypeName(group.variable.dtype)}; vocabulary remapping only ` +
        "initialises float32 variables (TF's load_and_remap initializers are float32-only)",
    );
  }
}

/**
 * One partition's place in the remap, computed like `_load_and_remap_matrix_initializer`
 * (tensorflow/python/ops/checkpoint_ops.py) before it calls the kernel, with its checks.
 */
function partGeometry(
  group: VariableGroup,
  info: VocabInfo,
  part: ModelPart,
  totalRows: number,
): PartGeometry {
  const shape = part.shape;
  if (info.axis === 0 && shape.length < 2) {
    throw new SettingsError(
      `Variable ${group.name} has shape ${listRepr(group.variable.shape)}; a VocabInfo with axis ` +
        "0 needs a 2-D variable (TF fails with IndexError: new_col_vocab_size = shape[1])",
    );
  }
  // _warm_start_var_with_vocab: axis 0 remaps rows, axis 1 columns.
  const newRowVocabSize = info.axis === 0 ? info.newVocabSize : totalRows;
  const newColVocabSize = info.axis === 0 ? shape[1] : info.newVocabSize;
  const numRowOovBuckets = info.axis === 0 ? info.numOovBuckets : 0;
  const numColOovBuckets = info.axis === 0 ? 0 : info.numOovBuckets;
  if (shape.length !== 2) {
    throw new SettingsError(`Expected 2-dim shape, but received: ${listRepr(shape)}`);
  }
  const [rows, cols] = shape;
  if (rows <= 0) {
    throw new SettingsError(
      `Expected 1st dim of shape to be > 0, but received shape: ${listRepr(shape)}`,
    );
  }
  if (cols !== newColVocabSize + numColOovBuckets) {
    throw new SettingsError(
      `Expected 2nd dim of shape to be new_col_vocab_size (${newColVocabSize}) + ` +
        `num_col_oov_buckets (${numColOovBuckets}) = ${newColVocabSize + numColOovBuckets}, ` +
        `but received shape: ${listRepr(shape)}`,
    );
  }
  const offset = singleOffset(part, group.variable.shape);
  if (offset + rows > newRowVocabSize + numRowOovBuckets) {
    throw new SettingsError(
      `Trying to initialize ${rows} additional rows after ${offset} rows have already been ` +
        `initialized, which would exceed expected total row count of new_row_vocab_size ` +
        `(${newRowVocabSize}) + num_row_oov_buckets (${numRowOovBuckets}) = ` +
        `${newRowVocabSize + numRowOovBuckets}.`,
    );
  }
  const oovRows = Math.min(rows, Math.max(0, offset + rows - newRowVocabSize));
  return {
    part,
    offset,
    rowsToLoad: rows - oovRows,
    oovRows,
    backup: backupFor(info, part),
    newRowVocabSize,
    numRowOovBuckets,
    numColOovBuckets,
  };
}

/** `_PartitionInfo.single_offset`: the offset along the one axis where part != full shape. */
function singleOffset(part: ModelPart, fullShape: number[]): number {
  for (let d = 0; d < part.shape.length; d++) {
    if (part.shape[d] !== fullShape[d]) return part.offset[d];
  }
  return 0;
}

function backupFor(info: VocabInfo, part: ModelPart): Backup {
  const b = info.backupInitializer;
  if (b === "new") return { kind: "new", shardId: part.entry.shardId, offset: part.entry.offset };
  const element = new Uint8Array(FLOAT32_SIZE);
  if (b !== "zeros") new DataView(element.buffer).setFloat32(0, b.constant, true);
  return { kind: "fill", element };
}

function backupOnly(part: ModelPart, backup: Backup): { segments: Segment[]; crc32c?: number } {
  if (backup.kind === "new") {
    const e = part.entry;
    return {
      segments: [{
        kind: "range",
        from: "new",
        shardId: e.shardId,
        offset: e.offset,
        length: e.size,
      }],
      crc32c: e.crc32c,
    };
  }
  const count = part.shape.reduce((a, b) => a * b, 1);
  return { segments: [{ kind: "fill", element: backup.element, count }] };
}

/** LoadAndRemapMatrix's checks on the old tensor. */
function requireOldMatrix(ctx: VocabContext, tensor: string): BundleEntry {
  const old = ctx.oldIndex.get(tensor);
  if (!old) {
    throw new SettingsError(`Key ${tensor} not found in checkpoint ${ctx.oldIndex.prefix}`);
  }
  if (old.dtype !== DT_FLOAT) {
    throw new SettingsError(
      `Tensor ${tensor} has invalid type ${cppDtypeName(old.dtype)} instead of expected type float`,
    );
  }
  if (old.shape.length !== 2) {
    throw new SettingsError(
      `Tensor ${tensor} has shape ${cppShape(old.shape)} of invalid rank ${old.shape.length} ` +
        "instead of expected shape of rank 2.",
    );
  }
  return old;
}

interface Planned {
  segments: Segment[];
  present: number;
}

/** One partition's place in the remap: what TF's initializer computes before the kernel. */
interface PartGeometry {
  /** The partition. */
  part: ModelPart;
  /** Row offset of the part (single_offset). */
  offset: number;
  /** Rows read from OLD (the rest are OOV bucket rows). */
  rowsToLoad: number;
  /** OOV bucket rows of this part. */
  oovRows: number;
  /** How rows and cells without an OLD value are filled. */
  backup: Backup;
  /** The kernel's new_row_vocab_size. */
  newRowVocabSize: number;
  /** The kernel's num_row_oov_buckets. */
  numRowOovBuckets: number;
  /** The kernel's num_col_oov_buckets. */
  numColOovBuckets: number;
}

async function planRows(
  ctx: VocabContext,
  info: VocabInfo,
  tensor: string,
  { part, offset, rowsToLoad, oovRows, backup }: PartGeometry,
): Promise<Planned> {
  const vocab = await ctx.vocabularies.remapping(info.newVocab, info.oldVocab, info.oldVocabSize);
  const { remapping, numPresent } = generateVocabRemapping(vocab, offset, rowsToLoad);
  checkNoDuplicateOldIds(remapping, `rows of ${part.name}`);
  const old = requireOldMatrix(ctx, tensor);
  const cols = part.shape[1];
  if (old.shape[1] !== cols) {
    throw new SettingsError(
      `Tensor ${tensor} has shape ${cppShape(old.shape)}, where the size of its 2nd dimension is ` +
        `${old.shape[1]} instead of being equal to num_cols=${cols}`,
    );
  }
  let maxRow = -1;
  let minRow = Infinity;
  for (const j of remapping) {
    if (j < 0) continue;
    maxRow = Math.max(maxRow, j);
    minRow = Math.min(minRow, j);
  }
  if (maxRow >= old.shape[0]) {
    throw new SettingsError(
      `Extent in dimension 0 out of bounds: shape = ${cppShape(old.shape)}, slice = ` +
        `${minRow},${maxRow - minRow + 1}:- (old vocabulary ${info.oldVocab} maps a token to row ` +
        `${maxRow} of ${tensor}, which has only ${old.shape[0]} rows)`,
    );
  }
  const rowMap = rowMapFor(vocab, offset, rowsToLoad, oovRows);
  return {
    segments: [{
      kind: "rows",
      oldKey: tensor,
      rowBytes: cols * FLOAT32_SIZE,
      rowMap,
      backup,
      backupRowStart: 0,
      strategy: "runs", // the planner picks the strategy once every tensor is planned
    }],
    present: numPresent,
  };
}

async function planColumns(
  ctx: VocabContext,
  info: VocabInfo,
  tensor: string,
  { part, offset, rowsToLoad, oovRows, backup }: PartGeometry,
): Promise<Planned> {
  // old_vocab_size is never passed for columns: the whole old file is used.
  const vocab = await ctx.vocabularies.remapping(info.newVocab, info.oldVocab, -1);
  const remapped = generateVocabRemapping(vocab, 0, info.newVocabSize);
  const colMap = remapped.remapping.slice(); // kept in the plan: not a view of the join
  const numPresent = remapped.numPresent;
  checkNoDuplicateOldIds(colMap, `columns of ${part.name}`);
  const old = requireOldMatrix(ctx, tensor);
  if (offset + rowsToLoad > old.shape[0]) {
    throw new SettingsError(
      `Extent in dimension 0 out of bounds: shape = ${cppShape(old.shape)}, slice = ` +
        `${offset},${rowsToLoad}:- (rows ${offset}..${offset + rowsToLoad - 1} of ${part.name} ` +
        `need rows that ${tensor} does not have)`,
    );
  }
  let maxCol = -1;
  for (const j of colMap) maxCol = Math.max(maxCol, j);
  if (maxCol >= old.shape[1]) {
    // TF leaves such cells uninitialised (a bug); we refuse instead.
    throw new SettingsError(
      `Old vocabulary ${info.oldVocab} maps a class to column ${maxCol} of ${tensor}, which has ` +
        `only ${old.shape[1]} columns`,
    );
  }
  const cols = part.shape[1];
  const segments: Segment[] = [{
    kind: "columns",
    oldKey: tensor,
    oldRowStart: offset,
    oldCols: old.shape[1],
    rows: rowsToLoad,
    cols,
    elementSize: FLOAT32_SIZE,
    colMap,
    backup,
  }];
  if (oovRows > 0) {
    segments.push({
      kind: "rows",
      oldKey: tensor,
      rowBytes: cols * FLOAT32_SIZE,
      rowMap: new Int32Array(oovRows).fill(-1),
      backup,
      backupRowStart: rowsToLoad,
      strategy: "runs", // no OLD rows
    });
  }
  return { segments, present: numPresent };
}
