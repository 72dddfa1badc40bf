/**
 * Cuts a job into tasks: first the map tasks of its remap passes (consecutive windows of a
 * pass's window pass, each reading at most the streamed bound of OLD: they spill the rows every
 * part task then reads back), then each shard's consecutive parts grouped while the group's streamed bytes
 * (bytes that pass through a worker) and copied bytes (server-side copies) stay within bounds,
 * never cutting inside a streamed string or variant tensor (TF checksums those by element, so
 * one task writes them whole); then the re-reads that check the sources no part task reads whole
 * (verify tasks, bounded by the same streamed bytes). Pure: every process cuts the same tasks.
 *
 * @module
 */
import type { PlannedPart } from "./part_table.ts";

/** What one task may move. */
export interface TaskBounds {
  /** Bytes a task streams through its worker. */
  streamBytes: number;
  /** Bytes a task copies server-side. */
  copyBytes: number;
}

/** 1 GiB streamed (a few seconds to a minute per task), 16 GiB copied. */
export const DEFAULT_TASK_BOUNDS: Readonly<TaskBounds> = {
  streamBytes: 1 << 30,
  copyBytes: 16 * (1 << 30),
};

/** The bounds of `--task-bytes N`: N streamed, 16 N copied (the default's ratio). */
export function taskBounds(taskBytes?: number): TaskBounds {
  if (taskBytes === undefined) return { ...DEFAULT_TASK_BOUNDS };
  if (!Number.isSafeInteger(taskBytes) || taskBytes < 1) {
    throw new RangeError(`task bytes must be a positive integer, not ${taskBytes}`);
  }
  return { streamBytes: taskBytes, copyBytes: 16 * taskBytes };
}

/** One task of a split job. */
export type PlannedTask =
  /** Windows [first, first + count) of the window pass of remap pass `pass` (remap_passes.ts). */
  | { kind: "map"; pass: number; first: number; count: number }
  /** Parts [first, first + count) of shard `shard` (an index in the plan's shards). */
  | {
    kind: "parts";
    shard: number;
    first: number;
    count: number;
    /** Its byte range of the shard. */
    offset: number;
    end: number;
  }
  /** Checks the CRC32C of these source entries (verify_sources.ts ids). */
  | { kind: "verify"; sources: string[] };

/** A source entry to check, with its size. */
export interface SourceToCheck {
  /** verify_sources.ts id. */
  id: string;
  /** Bytes. */
  size: number;
}

/** The window pass of one remap pass, as map tasks cut it. */
export interface WindowPass {
  /** The pass id. */
  pass: number;
  /** Its windows. */
  windows: number;
  /** Bytes of OLD one window reads. */
  windowBytes: number;
}

/**
 * The tasks of a job (see module docs).
 *
 * @param tables the shards' part tables
 * @param bounds what one task may move
 * @param whole byte ranges of each shard that one task must write whole (by shard index)
 * @param sources the sources to check by re-reading
 * @param passes the window passes of the job's remaps
 * @returns the tasks: map tasks, parts tasks in shard and byte order, then verify tasks
 */
export function splitTasks(
  tables: PlannedPart[][],
  bounds: TaskBounds,
  whole: Array<Array<[number, number]>>,
  sources: SourceToCheck[],
  passes: WindowPass[] = [],
): PlannedTask[] {
  const tasks: PlannedTask[] = [];
  for (const p of passes) {
    const per = Math.max(1, Math.floor(bounds.streamBytes / Math.max(1, p.windowBytes)));
    for (let first = 0; first < p.windows; first += per) {
      tasks.push({ kind: "map", pass: p.pass, first, count: Math.min(per, p.windows - first) });
    }
  }
  tables.forEach((parts, shard) => {
    const inside = (x: number) => whole[shard].some(([lo, hi]) => lo < x && x < hi);
    let first = 0;
    let streamed = 0;
    let copied = 0;
    const cut = (end: number) => {
      if (end === first) return;
      tasks.push({
        kind: "parts",
        shard,
        first,
        count: end - first,
        offset: parts[first].offset,
        end: parts[end - 1].offset + parts[end - 1].length,
      });
      first = end;
      streamed = 0;
      copied = 0;
    };
    parts.forEach((p, i) => {
      const s = p.copy ? 0 : p.length;
      const c = p.copy ? p.length : 0;
      const over = streamed + s > bounds.streamBytes || copied + c > bounds.copyBytes;
      if (i > first && over && !inside(p.offset)) cut(i);
      streamed += s;
      copied += c;
    });
    cut(parts.length);
  });
  let group: string[] = [];
  let bytes = 0;
  for (const s of sources) {
    if (group.length > 0 && bytes + s.size > bounds.streamBytes) {
      tasks.push({ kind: "verify", sources: group });
      group = [];
      bytes = 0;
    }
    group.push(s.id);
    bytes += s.size;
  }
  if (group.length > 0) tasks.push({ kind: "verify", sources: group });
  return tasks;
}
