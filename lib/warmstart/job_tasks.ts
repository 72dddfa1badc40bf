/**
 * A split job's steps (job_files.ts holds their files): lay the plan out and cut it into tasks
 * (pure), open the job (reuse the files and uploads of an earlier run of the same plan, or create
 * them), run one task (its parts under the shard's upload, the CRC32C of every tensor range it
 * wrote, its result create-only), assemble the staged output from the results (every result
 * present, the parts as the store lists them, per-range CRCs combined in byte order), and close
 * or abort the job. A task is a pure function of the plan and the pinned inputs: running it
 * again, anywhere, is harmless.
 *
 * @module
 */
import { crc32cCombine, Crc32cStream, maskCrc, unmaskCrc } from "../bytes/mod.ts";
import {
  type BundleEntry,
  type BundleIndex,
  dtypeElementSize,
  payloadCrc,
} from "../checkpoint/mod.ts";
import {
  basenameLocation,
  type JobStore,
  joinLocation,
  type PartResult,
  PreconditionFailedError,
  settleEach,
  StorageError,
  type Store,
  type UploadRules,
} from "../storage/mod.ts";
import type { StagedData } from "./executor.ts";
import {
  type JobPlanRecord,
  mapsListLocation,
  planRecordLocation,
  type TaskRecord,
  taskRecordLocation,
  tasksListLocation,
} from "./job_files.ts";
import type { JobMemory } from "./job_memory.ts";
import { readRecord, writeRecord } from "./json_record.ts";
import { RemapRunner } from "./remap_passes.ts";
import { isVerbatim, planLayout, type ShardLayout, verbatimSourceId } from "./layout.ts";
import { checkJobLocations, checkJobRecord } from "./job_record_check.ts";
import { partTable, type PlannedPart } from "./part_table.ts";
import type { Plan } from "./plan.ts";
import { segmentRange, type SegmentSources } from "./segment_reader.ts";
import { removeSpillArea, spillArea } from "./spill_area.ts";
import { bookkeepingDir } from "./marker.ts";
import { type PlannedTask, type SourceToCheck, splitTasks, type TaskBounds } from "./task_split.ts";
import { checksumMismatch, planSources, sourceId, verifySources } from "./verify_sources.ts";

/** The layout, parts and tasks of a plan (what {@link layoutJob} computes). */
export interface JobLayout {
  layouts: ShardLayout[];
  /** The part rules of each shard (the store's, parts no bigger than a task). */
  rules: UploadRules[];
  tables: PlannedPart[][];
  tasks: PlannedTask[];
}

/**
 * Remap passes of a split job spill to the store (`buckets`): tasks in other processes read the
 * spill the job's map step wrote, which a `memory` pass keeps in one process's memory. Both
 * produce the same bytes; their buckets have one size (remap_strategy.ts).
 */
export function spillEveryPass(plan: Plan): void {
  for (const pass of plan.remapPasses) pass.strategy = "buckets";
  for (const shard of plan.shards) {
    for (const t of shard.tensors) {
      for (const s of t.segments) {
        if (s.kind === "rows" && s.strategy === "memory") s.strategy = "buckets";
      }
    }
  }
}

/**
 * Lays out `plan`, cuts its part tables and tasks (see module docs). Pure.
 *
 * @param plan the plan (its remap passes already {@link spillEveryPass})
 * @param indexes OLD's and NEW's indexes
 * @param store the job's store (part rules, server-side copies)
 * @param bounds what one task may move
 * @param verifyCopies re-read server-side copies to check them (run.ts `verifyCopies`)
 * @returns the layout, part tables and tasks
 */
export function layoutJob(
  plan: Plan,
  indexes: { old: BundleIndex; new: BundleIndex },
  store: Pick<Store, "copiesServerSide" | "uploadRules">,
  bounds: TaskBounds,
  verifyCopies: boolean,
): JobLayout {
  const layouts = planLayout(plan, { oldIndex: indexes.old, newIndex: indexes.new }, store);
  // Streamed parts no bigger than a task's bound (where the store allows parts that small).
  const rules = layouts.map((l) => {
    const r = store.uploadRules(l.location);
    return { ...r, partSize: Math.max(r.minPartSize, Math.min(r.partSize, bounds.streamBytes)) };
  });
  const tables = layouts.map((l, i) => partTable(l, rules[i]));
  // Streamed tensors TF checksums by element are written whole by one task.
  const whole = layouts.map((l) =>
    plan.shards[l.index].tensors.flatMap((t, ti): Array<[number, number]> =>
      !l.serverSide[ti] && dtypeElementSize(t.entry.dtype) === undefined
        ? [[l.tensorOffsets[ti], l.tensorOffsets[ti] + t.size]]
        : []
    )
  );
  // Verbatim tensors streamed through a task are checked by their combined CRC at commit;
  // copies are re-read unless the store's checksums are trusted; every other source is re-read
  // by a verify task (unless a map task read it whole on the way).
  const skip = new Set<string>();
  layouts.forEach((l) => {
    plan.shards[l.index].tensors.forEach((t, ti) => {
      const id = verbatimSourceId(t, { oldIndex: indexes.old, newIndex: indexes.new });
      if (id && (!l.serverSide[ti] || !verifyCopies)) skip.add(id);
    });
  });
  const sources: SourceToCheck[] = planSources(plan, indexes.old, indexes.new)
    .map((s) => ({ id: sourceId(s.side, s.entry), size: s.entry.size }))
    .filter((s) => !skip.has(s.id));
  const passes = plan.remapPasses.map((p) => ({
    pass: p.id,
    windows: Math.ceil((p.oldEnd - p.oldStart) / p.windowRows),
    windowBytes: p.windowRows * p.rowBytes,
  }));
  const tasks = splitTasks(tables, bounds, whole, sources, passes);
  return { layouts, rules, tables, tasks };
}

/**
 * The job's files and uploads: an earlier run's, when its plan record is there and every upload
 * still exists, else new ones — a new **generation**: created here, recorded create-only (of two
 * runs racing, one record wins and the other's uploads are aborted). A record whose uploads are
 * gone (a commit that died after completing them, an abort) is stale: it is replaced, and every
 * result of its generation is ignored from then on (results name their generation).
 *
 * @param store the job's store
 * @param job the job directory
 * @param fresh the record to write when there is none (uploads, generation and the spill area's
 *   generation suffix are filled in here)
 * @returns the job's record and whether it was an earlier run's
 */
export async function openJob(
  store: JobStore,
  job: string,
  fresh: Omit<JobPlanRecord, "shards" | "generation"> & {
    shards: Array<Omit<JobPlanRecord["shards"][number], "upload">>;
  },
  layouts: ShardLayout[],
): Promise<{ record: JobPlanRecord; reused: boolean }> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const earlier = await readJobRecord(store, job).catch(() => undefined);
    if (earlier && await usable(store, earlier, fresh.planId, job, layouts)) {
      return { record: earlier, reused: true };
    }
    if (earlier) {
      // Stale (or not a valid record): its generation's spill goes, when it is this job's, and
      // the record, so a new one can be created.
      try {
        checkJobLocations(earlier, job);
        await removeSpillArea(store, earlier.spill);
      } catch { /* not a record of this job: its spill is not ours to delete */ }
      await store.delete(planRecordLocation(job));
    }
    const generation = crypto.randomUUID().slice(0, 8);
    const shards: JobPlanRecord["shards"] = [];
    try {
      for (const s of fresh.shards) {
        shards.push({ ...s, upload: await store.createUpload(s.location) });
      }
      const record: JobPlanRecord = {
        ...fresh,
        generation,
        spill: `${fresh.spill}${generation}.`,
        shards,
      };
      await writeRecord(store, planRecordLocation(job), record, true);
      await writeTaskLists(store, job, record);
      return { record, reused: false };
    } catch (e) {
      await settleEach(shards, (s) => store.abortUpload(s.upload));
      if (!(e instanceof PreconditionFailedError)) throw e;
      // Another run created its generation first: use it (next round), or replace it if stale.
    }
  }
  throw new StorageError(`${job}: could not open the job (other runs keep replacing it)`, {
    location: job,
    retryable: true,
  });
}

/** The tasks of each phase: map tasks (`maps.json`), then the rest (`tasks.json`). */
export function taskPhases(record: JobPlanRecord): [number[], number[]] {
  const maps: number[] = [];
  const rest: number[] = [];
  record.tasks.forEach((t, i) => (t.kind === "map" ? maps : rest).push(i));
  return [maps, rest];
}

/** Writes `maps.json` and `tasks.json` (the messages of the two phases). */
async function writeTaskLists(store: Store, job: string, record: JobPlanRecord): Promise<void> {
  const [maps, rest] = taskPhases(record);
  await writeRecord(store, mapsListLocation(job), maps.map((task) => ({ job, task })));
  await writeRecord(store, tasksListLocation(job), rest.map((task) => ({ job, task })));
}

/** True when `record` is a valid record of this plan and its uploads are all still open. */
async function usable(
  store: JobStore,
  record: JobPlanRecord,
  planId: string,
  job: string,
  layouts: ShardLayout[],
): Promise<boolean> {
  if (record.planId !== planId) return false;
  try {
    checkJobRecord(record, job, layouts);
  } catch {
    return false;
  }
  for (const s of record.shards) {
    try {
      await store.listParts(s.upload);
    } catch {
      return false;
    }
  }
  return true;
}

/** `plan.json` of `job`, or undefined. */
export function readJobRecord(store: Store, job: string): Promise<JobPlanRecord | undefined> {
  return readRecord<JobPlanRecord>(store, planRecordLocation(job));
}

/** The result of task `task`, when it is there and belongs to this plan. */
export async function readTaskRecord(
  store: Store,
  job: string,
  record: JobPlanRecord,
  task: number,
): Promise<TaskRecord | undefined> {
  const r = await readRecord<TaskRecord>(store, taskRecordLocation(job, task)).catch(() =>
    undefined
  );
  return r && r.planId === record.planId && r.generation === record.generation && r.task === task
    ? r
    : undefined;
}

/** What a task needs besides the job's record. */
export interface TaskSources extends SegmentSources {
  /** The shards' layouts (layoutJob's: recomputed from the plan, pure). */
  layouts: ShardLayout[];
  /** The job memory a map task's window pass carves its buffers from. */
  memory: JobMemory;
  /** Aborts the task. */
  signal?: AbortSignal;
}

/** Streamed parts a task keeps in flight at once (each one part of memory). */
const PARTS_IN_FLIGHT = 3;

/**
 * Runs task `task` of the job (see module docs); a task whose result exists is not run again.
 *
 * @param src the job's store, indexes, layouts and remap passes
 * @param job the job directory
 * @param record the job's record
 * @param task the task number
 * @returns whether its result was reused, and the bytes its parts hold
 */
export async function runTask(
  src: TaskSources,
  job: string,
  record: JobPlanRecord,
  task: number,
): Promise<{ reused: boolean; bytes: number }> {
  const planned = record.tasks[task];
  if (!planned) {
    throw new RangeError(`task ${task} is not a task of ${job} (0..${record.tasks.length - 1})`);
  }
  if (await readTaskRecord(src.store, job, record, task)) return { reused: true, bytes: 0 };
  if (planned.kind !== "map") {
    // Every other task reads what the map tasks spilled: they must all have finished.
    const maps = taskPhases(record)[0];
    const missing: number[] = [];
    for (const i of maps) if (!await readTaskRecord(src.store, job, record, i)) missing.push(i);
    if (missing.length > 0) throw new JobIncompleteError(job, missing);
  }
  let result: TaskRecord;
  if (planned.kind === "map") {
    // The window pass, for these windows: spills into the job's area (one PUT per window).
    const checked = new Set<string>();
    const runner = new RemapRunner(
      { ...src, verified: checked },
      record.plan.remapPasses,
      record.spill,
      { memory: src.memory, ...(src.signal ? { signal: src.signal } : {}) },
    );
    const ranges = await runner.mapWindows(
      planned.pass,
      planned.first,
      planned.first + planned.count,
    );
    const pass = record.plan.remapPasses.find((p) => p.id === planned.pass)!;
    const entry = src.oldIndex.get(pass.oldKey);
    result = {
      ...resultOf(record, task),
      checked: [...checked],
      ...(entry && ranges.length > 0
        ? { ranges: ranges.map((r) => ({ source: sourceId("old", entry), ...r })) }
        : {}),
    };
  } else if (planned.kind === "verify") {
    // What the map tasks read was checked on the way: whole tables, or ranges whose CRCs,
    // combined in byte order, must give the stored one.
    const mapped = new Set<string>();
    const ranges = new Map<string, NonNullable<TaskRecord["ranges"]>>();
    for (const i of taskPhases(record)[0]) {
      const r = await readTaskRecord(src.store, job, record, i);
      for (const id of r?.checked ?? []) mapped.add(id);
      for (const range of r?.ranges ?? []) {
        ranges.set(range.source, [...ranges.get(range.source) ?? [], range]);
      }
    }
    const ids = new Set(planned.sources);
    const sources = planSources(record.plan, src.oldIndex, src.newIndex)
      .filter((s) => ids.has(sourceId(s.side, s.entry)));
    for (const s of sources) {
      const id = sourceId(s.side, s.entry);
      const crc = combinedCrc(ranges.get(id) ?? [], s.entry.size);
      // A mismatch is left to the re-read, which reports it (checksumMismatch).
      if (crc !== undefined && maskCrc(crc) === s.entry.crc32c) mapped.add(id);
    }
    const verified = await verifySources(
      src.store,
      { old: src.oldIndex, new: src.newIndex },
      sources,
      { verified: mapped, memory: src.memory, ...(src.signal ? { signal: src.signal } : {}) },
    );
    result = { ...resultOf(record, task), verified };
  } else {
    result = await writeParts(src, record, task, planned);
  }
  try {
    await writeRecord(src.store, taskRecordLocation(job, task), result, true);
  } catch (e) {
    if (!(e instanceof PreconditionFailedError)) throw e;
    // A duplicate of this task finished first — or a result of a dead generation is there.
    if (!await readTaskRecord(src.store, job, record, task)) {
      await writeRecord(src.store, taskRecordLocation(job, task), result);
    }
  }
  return {
    reused: false,
    bytes: planned.kind === "parts" ? planned.end - planned.offset : 0,
  };
}

/** The CRC32C of [0, size) from ranges covering it exactly (any order), or undefined. */
function combinedCrc(
  ranges: Array<{ offset: number; length: number; crc: number }>,
  size: number,
): number | undefined {
  let crc = 0;
  let at = 0;
  for (const r of [...ranges].sort((a, b) => a.offset - b.offset)) {
    if (r.offset !== at) return undefined;
    crc = crc32cCombine(crc, r.crc, r.length);
    at += r.length;
  }
  return at === size ? crc : undefined;
}

/** An empty result of task `task` of this generation. */
function resultOf(record: JobPlanRecord, task: number): TaskRecord {
  return {
    planId: record.planId,
    generation: record.generation,
    task,
    parts: [],
    crcs: [],
    verified: 0,
  };
}

/** A parts task: its parts uploaded, the CRC32C of each tensor range it streamed. */
async function writeParts(
  src: TaskSources,
  record: JobPlanRecord,
  task: number,
  planned: Extract<PlannedTask, { kind: "parts" }>,
): Promise<TaskRecord> {
  const layout = src.layouts[planned.shard];
  const shard = record.shards[planned.shard];
  const tensors = record.plan.shards[planned.shard].tensors;
  // Each tensor range's CRC on the second core where there is one (bytes/crc32c_stream.ts).
  const crcs = new Map<
    number,
    { lo: number; hi: number; crc?: Crc32cStream; value?: number; whole?: Uint8Array[] }
  >();
  const parts: PartResult[] = [];
  const inflight = new Set<Promise<void>>();
  let failed = undefined as { error: unknown } | undefined;
  const upload = (p: PlannedPart, body: Uint8Array | NonNullable<PlannedPart["copy"]>) => {
    const done: Promise<void> = src.store.uploadPart(shard.upload, {
      partNumber: p.partNumber,
      offset: p.offset,
      body,
    }, src.signal ? { signal: src.signal } : {}).then((r) => void parts.push(r), (error) => {
      failed ??= { error };
    }).finally(() => inflight.delete(done));
    inflight.add(done);
    return done;
  };
  const check = () => {
    if (failed) throw failed.error;
  };
  const room = async () => {
    src.signal?.throwIfAborted();
    check();
    while (inflight.size >= PARTS_IN_FLIGHT) await Promise.race(inflight);
    check();
  };
  const onData = async (ti: number, lo: number, bytes: Uint8Array) => {
    const t = tensors[ti];
    let at = crcs.get(ti);
    if (!at) {
      const string = dtypeElementSize(t.entry.dtype) === undefined;
      crcs.set(ti, at = { lo, hi: lo, ...(string ? { whole: [] } : { crc: new Crc32cStream() }) });
    }
    if (at.hi !== lo) throw new Error(`internal: tensor ${ti} range ${at.hi} != ${lo}`);
    at.hi += bytes.length;
    if (at.whole) at.whole.push(bytes.slice());
    else await at.crc!.add(bytes);
  };
  // Part buffers, reused once their upload is done (memory: PARTS_IN_FLIGHT + 1 parts), from
  // the job memory and given back when the task ends: a worker runs task after task, and fresh
  // buffers per task were garbage the collector freed late.
  const free: Uint8Array[] = [];
  const taken: Uint8Array[] = [];
  const buffer = (n: number) => {
    const i = free.findIndex((b) => b.length >= n);
    if (i >= 0) return free.splice(i, 1)[0].subarray(0, n);
    const b = src.memory.take(n);
    taken.push(b);
    return b;
  };
  const mine = shard.parts.slice(planned.first, planned.first + planned.count);
  try {
    for (let i = 0; i < mine.length;) {
      if (mine[i].copy) {
        await room();
        upload(mine[i], mine[i].copy!);
        i++;
        continue;
      }
      // A run of streamed parts is one pass over its bytes (prefetch and remap buckets carry
      // from part to part), cut into the parts as it goes.
      let j = i;
      while (j < mine.length && !mine[j].copy) j++;
      const run = mine.slice(i, j);
      let k = 0;
      let body = buffer(run[0].length);
      let filled = 0;
      const lo = run[0].offset;
      const hi = run[run.length - 1].offset + run[run.length - 1].length;
      for await (const chunk of shardBytes(src, layout, lo, hi, onData)) {
        let off = 0;
        while (off < chunk.length) {
          const n = Math.min(chunk.length - off, body.length - filled);
          body.set(chunk.subarray(off, off + n), filled);
          filled += n;
          off += n;
          if (filled === body.length) {
            await room();
            const part = run[k++];
            const full = body;
            upload(part, full).finally(() => {
              if (free.length <= PARTS_IN_FLIGHT) free.push(full);
            });
            if (k < run.length) body = buffer(run[k].length);
            filled = 0;
          }
        }
      }
      if (k !== run.length) throw new Error(`internal: parts ${i}..${j} filled ${k}`);
      i = j;
    }
    await Promise.all(inflight);
    if (failed) throw failed.error;
    for (const r of crcs.values()) r.value = await r.crc?.value();
  } catch (e) {
    await Promise.allSettled(inflight);
    throw e;
  } finally {
    for (const r of crcs.values()) r.crc?.close();
    for (const b of taken) src.memory.give(b);
  }
  parts.sort((a, b) => a.partNumber - b.partNumber);
  return {
    planId: record.planId,
    generation: record.generation,
    task,
    parts,
    crcs: [...crcs].map(([tensor, r]) => {
      if (!r.whole) return { tensor, lo: r.lo, hi: r.hi, crc: r.value! };
      const t = tensors[tensor];
      if (r.lo !== 0 || r.hi !== t.size) {
        throw new Error(`internal: string tensor ${tensor} cut at [${r.lo}, ${r.hi})`);
      }
      const bytes = new Uint8Array(t.size);
      let at = 0;
      for (const b of r.whole) bytes.set(b, (at += b.length) - b.length);
      return { tensor, lo: 0, hi: t.size, crc: payloadCrc(t.entry, bytes), whole: true };
    }),
    verified: 0,
  };
}

/**
 * The shard's bytes [lo, hi), in order, as chunks, one
 * segment read at a time; `onData(tensor, lo, bytes)` sees the bytes of tensor data (not
 * padding) of tensors that are not server-side copies, `lo` relative to the tensor's first byte.
 * A chunk is valid until the next is pulled.
 */
async function* shardBytes(
  src: TaskSources,
  layout: ShardLayout,
  lo: number,
  hi: number,
  onData: (tensor: number, lo: number, bytes: Uint8Array) => Promise<void>,
): AsyncGenerator<Uint8Array> {
  let at = lo;
  for (let i = firstItem(layout, lo); i < layout.items.length && layout.items[i].offset < hi; i++) {
    const item = layout.items[i];
    const from = Math.max(lo, item.offset) - item.offset;
    const to = Math.min(hi, item.offset + item.length) - item.offset;
    let pos = from;
    for await (const chunk of segmentRange(src, item.segment, from, to, src.tuning.readAhead)) {
      if (!item.padding && !layout.serverSide[item.tensor]) {
        await onData(item.tensor, item.offset + pos - layout.tensorOffsets[item.tensor], chunk);
      }
      yield chunk;
      at += chunk.length;
      pos += chunk.length;
    }
  }
  if (at !== hi) throw new Error(`internal: bytes [${lo}, ${hi}) ended at ${at}`);
}

/** Index of the layout item holding byte `offset` (binary search). */
function firstItem(layout: ShardLayout, offset: number): number {
  let lo = 0;
  let hi = layout.items.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (layout.items[mid].offset <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** A task result is missing: the job is not finished (a retry, or the missing tasks, help). */
export class JobIncompleteError extends StorageError {
  /** @param job the job directory @param missing the tasks without a result */
  constructor(job: string, readonly missing: number[]) {
    super(
      `${job}: ${missing.length} task(s) have no result yet (${missing.slice(0, 10).join(", ")}` +
        `${missing.length > 10 ? ", …" : ""}); run them, then commit again`,
      { location: job, retryable: true },
    );
    this.name = "JobIncompleteError";
  }
}

/**
 * The staged output of a finished job: every task's result present, each shard's parts as the
 * table says (and as the store lists them, where it keeps parts apart), every tensor's CRC32C
 * combined from its ranges in byte order — a verbatim tensor's must be the stored one.
 *
 * @param store the job's store
 * @param job the job directory
 * @param record the job's record
 * @param layouts the shards' layouts
 * @returns the staged shards and output entries, as commit.ts publishes them
 * @throws JobIncompleteError when a task has no result; CorruptCheckpointError when a streamed
 *   verbatim tensor's bytes do not have its stored checksum; StorageError when parts are missing
 */
export async function assembleJob(
  store: JobStore,
  job: string,
  record: JobPlanRecord,
  layouts: ShardLayout[],
): Promise<StagedData> {
  const results = await Promise.all(
    record.tasks.map((_, i) => readTaskRecord(store, job, record, i)),
  );
  const missing = results.flatMap((r, i) => r ? [] : [i]);
  if (missing.length > 0) throw new JobIncompleteError(job, missing);
  const { plan } = record;
  const entries: BundleEntry[] = [];
  const shards: StagedData["shards"] = [];
  for (const [s, shard] of record.shards.entries()) {
    const layout = layouts[s];
    const tasks = record.tasks.flatMap((t, i) => t.kind === "parts" && t.shard === s ? [i] : []);
    const parts = tasks.flatMap((i) => results[i]!.parts).sort((a, b) =>
      a.partNumber - b.partNumber
    );
    const bad = (why: string) =>
      new StorageError(`${shard.location}: ${why}; the job's uploads are not as planned`, {
        location: shard.location,
      });
    if (parts.length !== shard.parts.length) {
      throw bad(`${parts.length} parts written, ${shard.parts.length} planned`);
    }
    shard.parts.forEach((p, i) => {
      const w = parts[i];
      if (w.partNumber !== p.partNumber || w.offset !== p.offset || w.size !== p.length) {
        throw bad(
          `part ${p.partNumber} is ${w.size} bytes at ${w.offset}, planned ${p.length} at ${p.offset}`,
        );
      }
    });
    const listed = await store.listParts(shard.upload);
    if (listed) {
      const unquote = (e: string) => e.replace(/^"|"$/g, "");
      const byNumber = new Map(listed.map((p) => [p.partNumber, p]));
      for (const p of parts) {
        const l = byNumber.get(p.partNumber);
        if (!l || l.size !== p.size || unquote(l.etag) !== unquote(p.etag)) {
          throw bad(`part ${p.partNumber} is not the one its task wrote`);
        }
      }
    }
    // Each tensor's ranges, in byte order.
    const ranges = new Map<number, TaskRecord["crcs"]>();
    for (const i of tasks) {
      for (const c of results[i]!.crcs) {
        const list = ranges.get(c.tensor) ?? [];
        list.push(c);
        ranges.set(c.tensor, list);
      }
    }
    plan.shards[s].tensors.forEach((t, ti) => {
      let crc: number;
      if (layout.serverSide[ti]) {
        crc = t.crc32c!;
      } else {
        const list = (ranges.get(ti) ?? []).sort((a, b) => a.lo - b.lo);
        let raw = 0;
        let at = 0;
        for (const r of list) {
          if (r.lo !== at) throw bad(`tensor ${ti}'s ranges leave a gap at ${at}`);
          raw = r.whole ? r.crc : crc32cCombine(raw, r.crc, r.hi - r.lo);
          at = r.hi;
        }
        if (at !== t.size) throw bad(`tensor ${ti}'s ranges end at ${at}, not ${t.size}`);
        if (isVerbatim(t)) {
          if (raw !== unmaskCrc(t.crc32c!)) {
            const [seg] = t.segments as Array<
              Extract<
                Plan["shards"][number]["tensors"][number]["segments"][number],
                { kind: "range" }
              >
            >;
            throw checksumMismatch(
              { ...t.entry, offset: seg.offset, size: t.size, crc32c: t.crc32c! },
              job,
              unmaskCrc(t.crc32c!),
              raw,
            );
          }
          crc = t.crc32c!;
        } else {
          crc = maskCrc(raw);
        }
      }
      entries.push({
        ...t.entry,
        shardId: plan.shards[s].shardId,
        offset: layout.tensorOffsets[ti],
        size: t.size,
        crc32c: crc,
      });
    });
    shards.push({ location: shard.location, size: shard.size, upload: shard.upload, parts });
  }
  return { shards, entries, bytesWritten: shards.reduce((n, s) => n + s.size, 0) };
}

/**
 * Unfinished writes in a job directory and its `tasks/` (a record a killed run was writing: a
 * temp file beside it; a listing of uploads does not descend into subdirectories).
 */
async function abortWrites(store: Store, dir: string): Promise<void> {
  const uploads = (await Promise.all(
    [dir, `${dir}tasks/`].map((d) => store.listUploads(d).catch(() => [])),
  )).flat();
  await settleEach(uploads, (u) => store.abortUpload(u));
}

/** Removes the job's files and spill (the plan record last: while it is there, a rerun finds it). */
async function removeJobFiles(store: Store, job: string, spill: string): Promise<void> {
  await removeSpillArea(store, spill);
  await abortWrites(store, job);
  const files = await store.list(job).catch(() => [] as string[]);
  const plan = planRecordLocation(job);
  await settleEach(files.filter((f) => f !== plan), (f) => store.delete(f));
  await store.delete(plan).catch(() => {});
}

/**
 * After a publish (the marker answers reruns): removes the job's files and spill, and those of
 * every other plan of this job for this output (a run killed under other task bounds left them;
 * their uploads went with the publish's leftovers).
 */
export async function closeJob(store: Store, job: string, record: JobPlanRecord): Promise<void> {
  await removeJobFiles(store, job, record.spill);
  const { output } = record.plan;
  const prefix = joinLocation(bookkeepingDir(output), `${basenameLocation(output)}.`);
  const others = new Set<string>();
  for (const l of await store.list(prefix).catch(() => [] as string[])) {
    const m = /^([0-9a-f]{16})\//.exec(l.slice(prefix.length));
    if (m) others.add(`${prefix}${m[1]}/`);
  }
  for (const other of others) {
    await abortWrites(store, other);
    await settleEach(await store.list(other), (f) => store.delete(f));
  }
  // Every spill area of this job (all plans, all generations), and the one-process run's.
  await removeSpillArea(store, spillArea(output, record.jobId));
}

/** Aborts every upload of the job and removes its files: nothing of it is published. */
export async function abortJob(store: Store, job: string, record: JobPlanRecord): Promise<void> {
  await settleEach(record.shards, (s) => store.abortUpload(s.upload));
  await removeJobFiles(store, job, record.spill);
}
