/**
 * TF's warm-start semantics on checkpoint files: a job spec (the arguments of
 * `tf.compat.v1.train.warm_start`, with locations) is parsed by {@link parseJobSpec} and run by
 * {@link runWarmStart}, which plans every output byte and streams the merged checkpoint.
 *
 * @example Warm-start the sample job into a temporary directory
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseJobSpec, runWarmStart } from "@warm-start/core";
 * import { FileStore } from "@warm-start/core/storage";
 * const json = JSON.parse(await Deno.readTextFile("docs/sample/warm_start.json"));
 * const out = await Deno.makeTempDir();
 * const spec = parseJobSpec({ ...json, output: `${out}/model.ckpt-1` }, { baseDir: "docs/sample" });
 * const report = await runWarmStart(spec, { store: new FileStore() });
 * assert.ok(report.totals.remapped === 1);
 * await Deno.remove(out, { recursive: true });
 * ```
 *
 * @module
 */
export type {
  BackupInitializer,
  JobSpec,
  ProgressEvent,
  Report,
  TensorAction,
  VariableReport,
  VarsToWarmStart,
  VocabInfo,
} from "./types.ts";
export { type RunOptions, runWarmStart } from "./run.ts";
export type { Tuning } from "./tuning.ts";
export { DEFAULT_LIMITS, type InputLimits } from "./limits.ts";
export { parseJobSpec, type ParseOptions } from "./job_spec.ts";
export { JobConflictError, SettingsError, type SettingsErrorOptions, SpecError } from "./errors.ts";
export { canonicalJson, jobIdOf } from "./job_id.ts";
export {
  changedInputs,
  type CompletionMarker,
  isPublished,
  markerLocation,
  type PublishedFile,
  readMarker,
  writeMarker,
} from "./marker.ts";
export { claimLocation, type ClaimTiming } from "./claim.ts";
export { removeLeftovers } from "./commit.ts";
export {
  JOB_SPEC_FIELDS,
  jobSpecSchema,
  type SpecField,
  VOCAB_INFO_FIELDS,
} from "./spec_fields.ts";
export {
  type JobMessage,
  type JobOpOptions,
  parseJobMessage,
  type PlanResult,
  runJobOp,
  type TaskResultSummary,
} from "./job_ops.ts";
