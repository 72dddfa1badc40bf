/**
 * The plan of a copy without vocabulary: TF's `init_from_checkpoint(ckpt, {tensor: variable_or_parts})`
 * (tensorflow/python/training/checkpoint_utils.py).
 * Call-time checks (missing tensor, shape of a single variable) throw; run-time ones (dtype, full
 * shape of partitioned variables) are deferred like TF's RestoreV2 failures.
 *
 * @module
 */
import {
  type BundleEntry,
  type BundleIndex,
  displayKey,
  dtypeElementSize,
  isSliceAssemblable,
  locateBox,
  sliceBox,
  UnsupportedError,
} from "../checkpoint/mod.ts";
import { SettingsError } from "./errors.ts";
import { cppDtypeName, type DeferredErrors, type PartAssignment } from "./assignment.ts";
import type { ModelPart } from "./model_variables.ts";
import type { Segment } from "./plan.ts";
import { suggest } from "./did_you_mean.ts";
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
  // Keys are bytes: shown as text when they are UTF-8, else as hex (never looked up again).
  const variables = ctx.oldIndex.variables();
  const known = variables.map((e) => displayKey(e.key));
  const shown = variables.slice(0, 30).map((e) =>
    `${strRepr(displayKey(e.key))}: ${listRepr(e.shape)}`
  );
  throw new SettingsError(
    `Tensor ${tensor} is not found in ${ctx.ckptArg} checkpoint {${shown.join(", ")}` +
      `${known.length > 30 ? `, ... (${known.length} tensors)` : ""}}${suggest([tensor], known)}`,
  );
}

/** A restore through TF's slice machinery fails at run time for other dtypes. */
function checkSliceDtype(ctx: CopyContext, dtype: number): boolean {
  if (isSliceAssemblable(dtype)) return true;
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
  const variable = group.variable;
  if (!variable.partitioned && group.parts.length > 1) {
    // The group [v, v] reaches op_list_to_dict (before init_from_checkpoint looks at OLD); the
    // vocab path accepts it.
    throw new SettingsError(`At least two variables have the same name: ${group.name}`);
  }
  const old = requireOldTensor(ctx, tensor);
  if (group.parts.length === 1) {
    // TF unwraps a one-element group to the bare variable: whole-tensor restore, shape checked now.
    const part = group.parts[0];
    if (!sameShape(part.shape, old.shape)) {
      throw new SettingsError(
        `Shape of variable ${part.name}:0 (${tensorShapeRepr(part.shape)}) doesn't match with ` +
          `shape of tensor ${tensor} (${listRepr(old.shape)}) from checkpoint reader.`,
      );
    }
    if (!checkDtype(ctx, tensor, variable.dtype, old)) return [];
    return planPart(ctx, tensor, old, part, old.shape.map(() => 0), old.shape);
  }
  // A list of parts (repeats included, as TF keeps them): each restored by its slice spec.
  const out: PartAssignment[] = [];
  for (const part of uniqueParts(group.parts)) {
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
    const planned = planPart(ctx, tensor, old, part, part.offset, part.shape);
    if (planned.length === 0) return [];
    out.push(...planned);
  }
  return out;
}

/**
 * The bytes of block `offset`/`shape` of OLD tensor `tensor` for one part. A block that is exactly
 * one stored tensor or slice is copied verbatim with its CRC (TF's GetSliceValue fast path, which
 * works for every dtype); anything else is cut out of the stored slices, which TF supports for
 * some dtypes only.
 */
function planPart(
  ctx: CopyContext,
  tensor: string,
  old: BundleEntry,
  part: ModelPart,
  offset: number[],
  shape: number[],
): PartAssignment[] {
  const stored = storedBlock(ctx, tensor, old, offset, shape);
  if (stored) {
    const segments = [oldRange(stored.shardId, stored.offset, stored.size)];
    return [{ part, source: tensor, segments, crc32c: stored.crc32c }];
  }
  if (!checkSliceDtype(ctx, old.dtype)) return [];
  const size = requireFixedWidth(old, tensor);
  const rowSlices = old.slices.every((sl) => {
    const box = sliceBox(sl, old.shape);
    return fullRows(old.shape, box.start, box.length);
  });
  if (fullRows(old.shape, offset, shape) && rowSlices) {
    // Whole rows out of whole-row slices: a few contiguous ranges (server-side copies on S3).
    const spans = locateBox(ctx.oldIndex, tensor, { start: offset, length: shape });
    const segments = spans.map((s) => oldRange(s.shardId, s.offset, s.length));
    return [{ part, source: tensor, segments }];
  }
  // Partitioned along an inner axis (either side): the slice path cuts the block in bands.
  const slice: Segment = { kind: "slice", oldKey: tensor, offset, shape, elementSize: size };
  return [{ part, source: tensor, segments: [slice] }];
}

/** True when a block spans every inner dimension (it is a band of whole rows). */
function fullRows(full: number[], offset: number[], shape: number[]): boolean {
  return full.every((d, i) => i === 0 || (offset[i] === 0 && shape[i] === d));
}

/** The stored entry holding exactly this block, if there is one. */
function storedBlock(
  ctx: CopyContext,
  tensor: string,
  old: BundleEntry,
  offset: number[],
  shape: number[],
): BundleEntry | undefined {
  if (old.slices.length === 0) {
    const whole = offset.every((o) => o === 0) && sameShape(shape, old.shape);
    return whole ? old : undefined;
  }
  for (const slice of old.slices) {
    const box = sliceBox(slice, old.shape);
    if (sameShape(box.start, offset) && sameShape(box.length, shape)) {
      return ctx.oldIndex.getSlice(tensor, slice);
    }
  }
  return undefined;
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
