/**
 * The files of a split job, under `<output dir>/.warm_start/<output name>.<plan id>/`:
 *
 * - `plan.json`: everything a worker needs to run any task — the plan (row maps as base64), the
 *   input ETags every read is pinned to, each shard's upload (created once, at plan time) and
 *   part table, the tasks, and what the commit publishes (report, marker fields);
 * - `maps.json` and `tasks.json`: `[{"job": <this directory>, "task": i}, …]`, the map tasks
 *   (remap window passes, which spill) and the other tasks (which read the spill): the Step
 *   Functions ItemReader inputs of the two phases, one small message per task;
 * - `tasks/<i>.json`: task i's result, create-only: its parts' ETags and the CRC32C of every
 *   tensor range it wrote.
 *
 * The plan id hashes the job, the input ETags, the store's part rules and the task bounds: a
 * rerun of the same job on the same inputs finds the same directory and reuses what is there.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { basenameLocation, joinLocation, type PartResult, type Upload } from "../storage/mod.ts";
import { canonicalJson } from "./job_id.ts";
import { bookkeepingDir } from "./marker.ts";
import type { PlannedPart } from "./part_table.ts";
import type { Plan } from "./plan.ts";
import type { PlannedTask, TaskBounds } from "./task_split.ts";
import type { Report } from "./types.ts";

/** `plan.json`. */
export interface JobPlanRecord {
  /** Record format. */
  version: 1;
  /** This plan's id (see module docs). */
  planId: string;
  /** The job (the spec's hash: claims and markers name it). */
  jobId: string;
  /**
   * This record's generation (random): its uploads, spill and task results belong to it; a
   * result of another generation (a dead commit's, an orphaned worker's) is ignored.
   */
  generation: string;
  /** The plan. */
  plan: Plan;
  /** ETag of every input object, by location: every read of a task is pinned to it. */
  inputs: Record<string, string>;
  /** The NEW index's ETag (the marker records it). */
  newIndexEtag?: string;
  /** Directories of OLD and NEW (the output may not be one of them). */
  inputDirs: string[];
  /** One upload per data shard, with its part table. */
  shards: Array<{
    location: string;
    size: number;
    upload: Upload;
    parts: PlannedPart[];
    /** Which tensors are server-side copies (their CRC32C is the stored one). */
    serverSide: boolean[];
  }>;
  /** The tasks. */
  tasks: PlannedTask[];
  /** The bounds they were cut with. */
  bounds: TaskBounds;
  /** The job's temporary area (remap spills). */
  spill: string;
  /** The report the commit publishes (durations and requests are the commit's). */
  report: Report;
  /** The marker's trigger, and whether the spec overwrites foreign files. */
  trigger?: unknown;
  overwrite: boolean;
}

/** `tasks/<i>.json`. */
export interface TaskRecord {
  /** The plan it belongs to. */
  planId: string;
  /** The generation of the plan record it was run for. */
  generation: string;
  /** The task. */
  task: number;
  /** Its parts as written (parts tasks). */
  parts: PartResult[];
  /**
   * CRC32C (unmasked) of each tensor range it wrote, by shard index and tensor index: bytes
   * [lo, hi) of the tensor's data. String and variant tensors are written whole by one task, with
   * TF's element checksum (`whole`).
   */
  crcs: Array<{ tensor: number; lo: number; hi: number; crc: number; whole?: boolean }>;
  /** Source entries it checked (verify tasks). */
  verified: number;
  /** Source entries a map task read whole and checked on the way (verify tasks skip them). */
  checked?: string[];
  /**
   * Byte ranges of source entries a map task read, with their CRC32C (unmasked): verify tasks
   * combine them and skip an entry whose ranges give its stored checksum.
   */
  ranges?: Array<{ source: string; offset: number; length: number; crc: number }>;
}

/** The job directory of plan `planId` for `output`. */
export function jobDirectory(output: string, planId: string): string {
  return joinLocation(bookkeepingDir(output), `${basenameLocation(output)}.${planId}/`);
}

/** `plan.json` of a job directory. */
export function planRecordLocation(job: string): string {
  return `${job}plan.json`;
}

/** `tasks.json` of a job directory: its tasks but the map tasks. */
export function tasksListLocation(job: string): string {
  return `${job}tasks.json`;
}

/** `maps.json` of a job directory: its map tasks. */
export function mapsListLocation(job: string): string {
  return `${job}maps.json`;
}

/** `tasks/<i>.json` of a job directory. */
export function taskRecordLocation(job: string, task: number): string {
  return `${job}tasks/${task}.json`;
}

/** The plan id (see module docs). */
export function planIdOf(parts: {
  jobId: string;
  inputs: Record<string, string>;
  rules: unknown;
  bounds: TaskBounds;
}): string {
  return createHash("sha256").update(canonicalJson(parts)).digest("hex").slice(0, 16);
}
