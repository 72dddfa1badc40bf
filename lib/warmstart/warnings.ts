/**
 * Settings that TF accepts silently but that are almost always mistakes, reported as warnings
 * (and refused with `"strict": true`): a selection that warm-starts nothing, and OLD and NEW
 * given the wrong way round (NEW trained further than OLD).
 *
 * @module
 */
import { type BundleIndex, DT_INT64, readTensor } from "../checkpoint/mod.ts";
import type { Store } from "../storage/mod.ts";
import { SettingsError } from "./errors.ts";
import type { NewModel } from "./new_model.ts";
import type { Plan } from "./plan.ts";
import type { JobSpec } from "./types.ts";

/** TF's step counter: a scalar int64 under this key. */
const GLOBAL_STEP = "global_step";

async function globalStep(store: Store, index: BundleIndex): Promise<number | undefined> {
  const e = index.get(GLOBAL_STEP);
  if (!e || e.dtype !== DT_INT64 || e.shape.length !== 0) return undefined;
  const bytes = await readTensor(store, index, GLOBAL_STEP);
  return Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigInt64(0, true));
}

function selects(spec: JobSpec): boolean {
  const v = spec.varsToWarmStart;
  return v.kind === "regex"
    ? v.pattern !== ""
    : v.kind === "regex_list"
    ? v.patterns.length > 0
    : v.kind === "variables"
    ? v.names.length > 0
    : false;
}

/**
 * Warnings about the inputs themselves, known before planning: OLD and NEW the wrong way round.
 *
 * @param store the job's store
 * @param indexes OLD's and NEW's index
 * @returns the warnings
 */
export async function inputWarnings(
  store: Store,
  indexes: { old: BundleIndex; new: BundleIndex },
): Promise<string[]> {
  const [oldStep, newStep] = await Promise.all([
    globalStep(store, indexes.old).catch(() => undefined),
    globalStep(store, indexes.new).catch(() => undefined),
  ]);
  if (oldStep !== undefined && newStep !== undefined && newStep > oldStep) {
    return [
      `NEW's global_step (${newStep}) is larger than OLD's (${oldStep}): ckpt_to_initialize_from ` +
      "and new_checkpoint may be the wrong way round",
    ];
  }
  return [];
}

/**
 * Warnings about the plan: a selection that warm-starts nothing.
 *
 * @param spec the job
 * @param plan its plan
 * @param model NEW's variables
 * @returns the warnings
 */
export function planWarnings(spec: JobSpec, plan: Plan, model: NewModel): string[] {
  if (!selects(spec) || !plan.variables.every((v) => v.action === "keep")) return [];
  const trainable = model.variables.filter((v) => v.trainable).map((v) => v.name);
  return [
    "vars_to_warm_start selected no variable: nothing is warm-started from OLD " +
    `(NEW's trainable variables: ${
      trainable.length > 0 ? trainable.slice(0, 10).join(", ") : "none detected"
    }${trainable.length > 10 ? ", ..." : ""})`,
  ];
}

/**
 * Refuses a strict job that has warnings.
 *
 * @param spec the job
 * @param warnings its warnings
 * @throws SettingsError listing them when the spec is strict
 */
export function enforceStrict(spec: JobSpec, warnings: string[]): void {
  if (spec.strict && warnings.length > 0) {
    throw new SettingsError(`Refused by "strict": true: ${warnings.join("; ")}`, {
      field: "strict",
    });
  }
}

/**
 * A settings error with the input warnings appended: the likely cause of TF's error (e.g. a
 * shape mismatch because OLD and NEW were given the wrong way round).
 *
 * @param e the error planning raised
 * @param warnings the input warnings
 * @returns the error to throw
 */
export function withHints(e: unknown, warnings: string[]): unknown {
  if (!(e instanceof SettingsError) || warnings.length === 0) return e;
  const hinted = new SettingsError(`${e.message} (note: ${warnings.join("; ")})`, {
    ...(e.field !== undefined ? { field: e.field } : {}),
  });
  Object.setPrototypeOf(hinted, Object.getPrototypeOf(e));
  return hinted;
}
