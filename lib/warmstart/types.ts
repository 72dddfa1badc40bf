/**
 * The warm-start job contract shared by the CLI, the HTTP API, event triggers and schedules.
 * See ../shared/DESIGN.md ("Contracts other code depends on").
 *
 * @module
 */

/** `backup_initializer` of a VocabInfo: TF's zeros default, a constant, or NEW's own rows. */
export type BackupInitializer = "zeros" | "new" | { constant: number };

/** TF's VocabInfo, with locations for the two vocabulary files. */
export interface VocabInfo {
  newVocab: string;
  newVocabSize: number;
  numOovBuckets: number;
  oldVocab: string;
  /** -1 = the whole old vocabulary file. */
  oldVocabSize: number;
  backupInitializer: BackupInitializer;
  /** 0: the vocabulary indexes rows (embeddings); 1: columns (output layers). */
  axis: 0 | 1;
}

/** The four forms of `vars_to_warm_start`. */
export type VarsToWarmStart =
  | { kind: "regex"; pattern: string }
  | { kind: "regex_list"; patterns: string[] }
  | { kind: "variables"; names: string[] }
  | { kind: "none" };

/** A parsed, validated job spec. All locations are absolute (resolved against the spec's dir). */
export interface JobSpec {
  ckptToInitializeFrom: string;
  newCheckpoint: string;
  output: string;
  varsToWarmStart: VarsToWarmStart;
  varNameToVocabInfo: Record<string, VocabInfo>;
  varNameToPrevVarName: Record<string, string>;
  /** Overrides trainable-variable detection when given. */
  trainableVariables?: string[];
}

/** What happens to one output tensor (one variable, or one partition of it). */
export type TensorAction = "keep" | "copy" | "remap";

/** One line of the report per NEW variable. */
export interface VariableReport {
  /** Variable name as TF sees it (full name; for TF2 checkpoints the object-graph full_name). */
  name: string;
  /** The NEW checkpoint key it is stored under. */
  key: string;
  dtype: string;
  shape: number[];
  action: TensorAction;
  /** OLD checkpoint key the values come from (copy/remap). */
  source?: string;
  /** Output bytes of this variable. */
  bytes: number;
  /** Number of partitions, for partitioned variables. */
  partitions?: number;
  /** Set when a regex selected only some partitions: how many were warm-started. */
  partsWarmStarted?: number;
  /** Vocabulary statistics (remap only). */
  vocab?: {
    axis: 0 | 1;
    /** Rows (axis 0) or columns (axis 1) copied from OLD. */
    matched: number;
    /** In-vocabulary rows/columns not found in OLD: backup-initialised. */
    new: number;
    /** OOV bucket rows/columns: backup-initialised. */
    oov: number;
  };
}

/** The JSON report printed by the CLI and returned by the HTTP API. */
export interface Report {
  dryRun: boolean;
  ckptToInitializeFrom: string;
  /** The OLD prefix actually used (after resolving a directory through its `checkpoint` file). */
  oldPrefix: string;
  newPrefix: string;
  output: string;
  variables: VariableReport[];
  totals: {
    variables: number;
    warmStarted: number;
    kept: number;
    copied: number;
    remapped: number;
    bytesWritten: number;
    bytesFromOld: number;
    bytesFromNew: number;
    bytesGenerated: number;
  };
  durationMs: number;
}

/** Progress events (CLI: stderr lines; HTTP: NDJSON lines). */
export interface ProgressEvent {
  phase: "resolve" | "plan" | "write-data" | "write-index" | "publish" | "done";
  message: string;
  bytesDone?: number;
  bytesTotal?: number;
}
