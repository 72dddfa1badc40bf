/**
 * Warm-start TensorFlow checkpoints on files or S3-compatible storage, exactly as
 * `tf.compat.v1.train.warm_start` would initialise the NEW model — without TensorFlow. Parse a
 * job spec with {@link parseJobSpec}, run it with {@link runWarmStart}; every error it throws is
 * one of the classes exported here (see each class for what it means).
 *
 * More: `@warm-start/core/checkpoint` (read, write and inspect tensor bundles),
 * `@warm-start/core/storage` (the Store interface, FileStore, S3Store),
 * `@warm-start/core/function` (the HTTP app, triggers and CLI).
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
export {
  type BackupInitializer,
  type ClaimTiming,
  type InputLimits,
  JobConflictError,
  type JobMessage,
  type JobOpOptions,
  type JobSpec,
  parseJobMessage,
  parseJobSpec,
  type ParseOptions,
  type PlanResult,
  type ProgressEvent,
  type Report,
  runJobOp,
  type RunOptions,
  runWarmStart,
  SettingsError,
  type SettingsErrorOptions,
  SpecError,
  type TaskResultSummary,
  type TensorAction,
  type Tuning,
  type VariableReport,
  type VarsToWarmStart,
  type VocabInfo,
} from "./warmstart/mod.ts";
export {
  CheckpointError,
  CheckpointNotFoundError,
  CorruptCheckpointError,
  type ErrorDetails,
  KerasFileError,
  TensorNotFoundError,
  UnsupportedError,
} from "./checkpoint/mod.ts";
export {
  LocationNotAllowedError,
  NotRegularFileError,
  ObjectChangedError,
  ObjectNotFoundError,
  ObjectTooLargeError,
  PreconditionFailedError,
  StorageError,
  type StorageErrorOptions,
} from "./storage/mod.ts";
