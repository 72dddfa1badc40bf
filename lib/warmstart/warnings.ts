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
 * The warnings of a planned job.
 *
 * @param store the job's store
 * @param spec the job
 * @param plan its plan
 * @param model NEW's variables
 * @param indexes OLD's and NEW's index
 * @returns the warnings, for the report
 * @throws SettingsError with the warnings when the spec is strict
 */
export async function settingsWarnings(
  store: Store,
  spec: JobSpec,
  plan: Plan,
  model: NewModel,
  indexes: { old: BundleIndex; new: BundleIndex },
): Promise<string[]> {
  const warnings: string[] = [];
  if (selects(spec) && plan.variables.every((v) => v.action === "keep")) {
    const trainable = model.variables.filter((v) => v.trainable).map((v) => v.name);
    warnings.push(
      "vars_to_warm_start selected no variable: nothing is warm-started from OLD " +
        `(NEW's trainable variables: ${
          trainable.length > 0 ? trainable.slice(0, 10).join(", ") : "none detected"
        }${trainable.length > 10 ? ", ..." : ""})`,
    );
  }
  const [oldStep, newStep] = await Promise.all([
    globalStep(store, indexes.old).catch(() => undefined),
    globalStep(store, indexes.new).catch(() => undefined),
  ]);
  if (oldStep !== undefined && newStep !== undefined && newStep > oldStep) {
    warnings.push(
      `NEW's global_step (${newStep}) is larger than OLD's (${oldStep}): ckpt_to_initialize_from ` +
        "and new_checkpoint may be the wrong way round",
    );
  }
  if (spec.strict && warnings.length > 0) {
    throw new SettingsError(`Refused by "strict": true: ${warnings.join("; ")}`, {
      field: "strict",
    });
  }
  return warnings;
}
