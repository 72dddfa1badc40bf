/**
 * The warm-start job contract shared by the CLI, the HTTP API, event triggers and schedules.
 * Fields mirror the arguments of tf.compat.v1.train.warm_start (warm_starting_util.py).
 *
 * @module
 */

/** `backup_initializer` of a VocabInfo: TF's zeros default, a constant, or NEW's own rows. */
export type BackupInitializer = "zeros" | "new" | { constant: number };

/** TF's VocabInfo, with locations for the two vocabulary files. */
export interface VocabInfo {
  /** Location of the NEW vocabulary file. */
  newVocab: string;
  /** Tokens of the NEW vocabulary used (its first lines). */
  newVocabSize: number;
  /** Out-of-vocabulary bucket rows (columns) after the vocabulary. */
  numOovBuckets: number;
  /** Location of the OLD vocabulary file. */
  oldVocab: string;
  /** -1 = the whole old vocabulary file. */
  oldVocabSize: number;
  /** How rows (columns) without an OLD value are filled. */
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
  /** OLD checkpoint: a prefix, or a directory with a `checkpoint` state file. */
  ckptToInitializeFrom: string;
  /** NEW checkpoint prefix. */
  newCheckpoint: string;
  /** Prefix of the merged checkpoint. */
  output: string;
  /** Which variables are warm-started. */
  varsToWarmStart: VarsToWarmStart;
  /** VocabInfo per variable to remap. */
  varNameToVocabInfo: Record<string, VocabInfo>;
  /** OLD name per NEW variable name. */
  varNameToPrevVarName: Record<string, string>;
  /** Overrides trainable-variable detection when given. */
  trainableVariables?: string[];
  /**
   * Replace foreign files at the output: a checkpoint or files this function did not write, a
   * `checkpoint` state file listing other checkpoints, an output in an input's directory.
   */
  overwrite?: boolean;
  /** Turn the report's warnings (likely mistakes) into errors. */
  strict?: boolean;
}

/** What happens to one output tensor (one variable, or one partition of it). */
export type TensorAction = "keep" | "copy" | "remap";

/** One line of the report per NEW variable. */
export interface VariableReport {
  /** Variable name as TF sees it (full name; for TF2 checkpoints the object-graph full_name). */
  name: string;
  /** The NEW checkpoint key it is stored under. */
  key: string;
  /** `tf.DType.name`. */
  dtype: string;
  /** Full shape. */
  shape: number[];
  /** Kept from NEW, copied from OLD, or remapped by vocabulary. */
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
    /** Axis 0: how the OLD rows are read (plan.ts RowsStrategy), chosen per OLD tensor. */
    read?: {
      strategy: "runs" | "memory" | "buckets";
      /** Sequential windows of OLD (memory, buckets). */
      windows?: number;
      /** Output ranges emitted from the windows' rows (memory, buckets). */
      buckets?: number;
      /** Bytes written to the job's temporary area and read back (buckets). */
      spillBytes?: number;
    };
  };
}

/** The JSON report printed by the CLI and returned by the HTTP API. */
export interface Report {
  /** True when nothing was written (a plan). */
  dryRun: boolean;
  /** `ckpt_to_initialize_from` as given. */
  ckptToInitializeFrom: string;
  /** The OLD prefix actually used (after resolving a directory through its `checkpoint` file). */
  oldPrefix: string;
  /** The NEW prefix used. */
  newPrefix: string;
  /** The merged checkpoint's prefix. */
  output: string;
  /** One line per NEW variable. */
  variables: VariableReport[];
  /**
   * How the output was published: written by this run, found already written by another run of
   * the same job (converged), or already published before this run (nothing written).
   */
  outcome?: "written" | "converged" | "already_published" | "planned";
  /**
   * A split job (job_tasks.ts): its directory, and the task list a distributed run hands out
   * (outcome "planned": the tasks are to run elsewhere, then the commit).
   */
  job?: { dir: string; mapsLocation: string; tasksLocation: string };
  /** Likely mistakes in the settings (errors instead with `"strict": true`). */
  warnings?: string[];
  /** Counts and byte totals. */
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
    /** Tasks of a split job (absent: one process, one pass). */
    tasks?: number;
    /** Of those, tasks whose results an earlier run left (not run again). */
    tasksReused?: number;
  };
  /**
   * Storage requests the job issued through its store until its data shards were staged (the
   * report is published with the output, so the commit's few small writes are not in it): reads
   * (GET) and bytes read, objects written, multipart parts sent and copied server-side, deletes.
   */
  requests?: {
    reads: number;
    bytesRead: number;
    writes: number;
    bytesWritten: number;
    parts: number;
    copyParts: number;
    sourceReads: number;
    deletes: number;
  };
  /** Wall time of the job. */
  durationMs: number;
}

/** Progress events (CLI: stderr lines; HTTP: NDJSON lines). */
export interface ProgressEvent {
  /** The phase the job is in. */
  phase: "resolve" | "plan" | "write-data" | "write-index" | "publish" | "done";
  /** What is happening, for people. */
  message: string;
  /** Bytes of the output written so far. */
  bytesDone?: number;
  /** Bytes of the output in all. */
  bytesTotal?: number;
}
