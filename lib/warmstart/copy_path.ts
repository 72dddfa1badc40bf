/**
 * The vocabulary-less path: TF's `init_from_checkpoint(ckpt, {tensor: variable_or_parts})`.
 * Call-time checks (missing tensor, shape of a single variable) throw; run-time ones (dtype, full
 * shape of partitioned variables) are deferred like TF's RestoreV2 failures.
 *
 * @module
 */
import type { BundleIndex } from "../checkpoint/bundle_index.ts";
import { dtypeElementSize } from "../checkpoint/dtype.ts";
import type { BundleEntry } from "../checkpoint/types.ts";
import {
  DT_BFLOAT16,
  DT_BOOL,
  DT_COMPLEX128,
  DT_COMPLEX64,
  DT_DOUBLE,
  DT_FLOAT,
  DT_INT16,
  DT_INT32,
  DT_INT4,
  DT_INT64,
  DT_INT8,
  DT_QINT32,
  DT_QINT8,
  DT_QUINT8,
  DT_UINT4,
  DT_UINT8,
} from "../checkpoint/dtype.ts";
import { SettingsError, UnsupportedError } from "../errors.ts";
import { cppDtypeName, type DeferredErrors, type PartAssignment } from "./assignment.ts";
import { locateBlock } from "./locate_block.ts";
import type { ModelPart } from "./model_variables.ts";
import type { Segment } from "./plan.ts";
import { listRepr, strRepr, tensorShapeRepr } from "./python_repr.ts";
import type { VariableGroup } from "./selection.ts";

/** Inputs of the copy path. */
export interface CopyContext {
  /** `ckpt_to_initialize_from` as the user gave it (TF prints it). */
  ckptArg: string;
  oldIndex: BundleIndex;
  deferred: DeferredErrors;
}

/** Looks up an OLD tensor the way `init_from_checkpoint` does, failing with TF's message. */
export function requireOldTensor(ctx: CopyContext, tensor: string): BundleEntry {
  const entry = ctx.oldIndex.get(tensor);
  if (entry) return entry;
  const known = ctx.oldIndex.variables().map((e) => new TextDecoder().decode(e.key));
  const shown = known.slice(0, 30).map((k) =>
    `${strRepr(k)}: ${listRepr(ctx.oldIndex.get(k)!.shape)}`
  );
  throw new SettingsError(
    `Tensor ${tensor} is not found in ${ctx.ckptArg} checkpoint {${shown.join(", ")}` +
      `${known.length > 30 ? `, ... (${known.length} tensors)` : ""}}`,
  );
}

/** Dtypes TF's sliced restore (TensorSliceReader / BundleReader slice assembly) supports. */
const SLICE_DTYPES = new Set([
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

/** A restore through TF's slice machinery fails at run time for other dtypes. */
function checkSliceDtype(ctx: CopyContext, dtype: number): boolean {
  if (SLICE_DTYPES.has(dtype)) return true;
  ctx.deferred.add(new SettingsError(`Dtype ${cppDtypeName(dtype)} not supported.`));
  return false;
}

function sameShape(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/**
 * Plans the copy of OLD tensor `tensor` into the group's parts.
 *
 * @returns the assignments (empty when a run-time error was deferred)
 */
export function planCopy(group: VariableGroup, tensor: string, ctx: CopyContext): PartAssignment[] {
  const old = requireOldTensor(ctx, tensor);
  const variable = group.variable;
  if (!variable.partitioned && group.parts.length > 1) {
    // The group [v, v] reaches op_list_to_dict in init_from_checkpoint (the vocab path accepts it).
    throw new SettingsError(`At least two variables have the same name: ${group.name}`);
  }
  const parts = uniqueParts(group.parts);
  if (parts.length === 1) {
    // TF unwraps a one-element group to the bare variable: whole-tensor restore, shape checked now.
    const part = parts[0];
    if (!sameShape(part.shape, old.shape)) {
      throw new SettingsError(
        `Shape of variable ${part.name}:0 (${tensorShapeRepr(part.shape)}) doesn't match with ` +
          `shape of tensor ${tensor} (${listRepr(old.shape)}) from checkpoint reader.`,
      );
    }
    if (!checkDtype(ctx, tensor, variable.dtype, old)) return [];
    if (old.slices.length > 0 && !checkSliceDtype(ctx, old.dtype)) return [];
    return [{ part, source: tensor, ...wholeTensor(ctx, tensor, old) }];
  }
  const out: PartAssignment[] = [];
  for (const part of parts) {
    if (!sameShape(variable.shape, old.shape)) {
      ctx.deferred.add(
        new SettingsError(
          `tensor_name = ${tensor}; shape in shape_and_slice spec [${variable.shape.join(",")}] ` +
            `does not match the shape stored in checkpoint: [${old.shape.join(",")}] ` +
            `(restoring ${part.name})`,
        ),
      );
      return [];
    }
    if (!checkDtype(ctx, tensor, variable.dtype, old)) return [];
    if (!checkSliceDtype(ctx, old.dtype)) return [];
    out.push({ part, source: tensor, ...partOfTensor(ctx, tensor, old, part) });
  }
  return out;
}

function checkDtype(ctx: CopyContext, tensor: string, dtype: number, old: BundleEntry): boolean {
  if (dtype === old.dtype) return true;
  ctx.deferred.add(
    new SettingsError(
      `tensor_name = ${tensor}; expected dtype ${cppDtypeName(dtype)} does not equal original ` +
        `dtype ${cppDtypeName(old.dtype)}`,
    ),
  );
  return false;
}

/** Bytes of a whole OLD tensor: verbatim (CRC reused) or assembled from its slices. */
function wholeTensor(
  ctx: CopyContext,
  tensor: string,
  old: BundleEntry,
): { segments: Segment[]; crc32c?: number } {
  if (old.slices.length === 0) {
    return { segments: [oldRange(old.shardId, old.offset, old.size)], crc32c: old.crc32c };
  }
  const size = requireFixedWidth(old, tensor);
  const spans = locateBlock(
    ctx.oldIndex,
    tensor,
    old.shape,
    old.shape.map(() => 0),
    old.shape,
    size,
  );
  return { segments: spans.map((s) => oldRange(s.shardId, s.offset, s.length)) };
}

/** Bytes of one NEW partition out of OLD's full tensor. */
function partOfTensor(
  ctx: CopyContext,
  tensor: string,
  old: BundleEntry,
  part: ModelPart,
): { segments: Segment[]; crc32c?: number } {
  if (old.slices.length > 0 && part.slice) {
    const same = ctx.oldIndex.getSlice(tensor, part.slice);
    if (same && sameShape(same.shape, part.shape)) {
      // Same partitioning on both sides: the slice is copied verbatim with its CRC.
      return { segments: [oldRange(same.shardId, same.offset, same.size)], crc32c: same.crc32c };
    }
  }
  const size = requireFixedWidth(old, tensor);
  const spans = locateBlock(ctx.oldIndex, tensor, old.shape, part.offset, part.shape, size);
  return { segments: spans.map((s) => oldRange(s.shardId, s.offset, s.length)) };
}

function requireFixedWidth(entry: BundleEntry, tensor: string): number {
  const size = dtypeElementSize(entry.dtype);
  if (size === undefined) {
    throw new UnsupportedError(
      `Tensor ${tensor} has a variable-width dtype and is stored partitioned; only whole ` +
        "string/variant tensors can be warm-started",
      { key: tensor },
    );
  }
  return size;
}

function oldRange(shardId: number, offset: number, length: number): Segment {
  return { kind: "range", from: "old", shardId, offset, length };
}

/** Parts in order without repeats (overlapping regexes may select a part twice). */
export function uniqueParts(parts: ModelPart[]): ModelPart[] {
  const seen = new Set<string>();
  return parts.filter((p) => (seen.has(p.name) ? false : (seen.add(p.name), true)));
}
