/**
 * A job record read from storage is input, like a checkpoint: before any task writes or deletes
 * by it, every location, upload, part and task in it must be the one its plan implies — the job
 * directory is the output's, the uploads are the output shards', the spill area is this job's,
 * the part tables cover each shard exactly with copies only of verbatim ranges the plan names,
 * and the tasks cover the parts in order. Anything else is a corrupt record (a typed error, not
 * a write elsewhere).
 *
 * @module
 */
import { CorruptCheckpointError, dataLocation } from "../checkpoint/mod.ts";
import { jobDirectory, type JobPlanRecord } from "./job_files.ts";
import type { ShardLayout } from "./layout.ts";
import { spillArea } from "./spill_area.ts";

function fail(job: string, why: string): never {
  throw new CorruptCheckpointError(`${job}plan.json is not a valid job record: ${why}`, {
    location: `${job}plan.json`,
  });
}

const int = (n: unknown): n is number => Number.isSafeInteger(n) && (n as number) >= 0;

/**
 * Checks what an abort deletes by: the directory, the spill area and the uploads are this job's.
 *
 * @param record the record as read
 * @param job the directory it was read from
 * @throws CorruptCheckpointError naming what is wrong
 */
export function checkJobLocations(record: JobPlanRecord, job: string): void {
  guarded(job, () => locations(record, job));
}

/** A record malformed past its types (a missing field): a corrupt record, not a TypeError. */
function guarded(job: string, check: () => void): void {
  try {
    check();
  } catch (e) {
    if (e instanceof CorruptCheckpointError) throw e;
    fail(job, `malformed (${(e as Error).message})`);
  }
}

function locations(record: JobPlanRecord, job: string): void {
  const { plan } = record;
  if (record.version !== 1) fail(job, `version ${record.version}`);
  if (typeof record.generation !== "string" || !/^[0-9a-f]{8}$/.test(record.generation)) {
    fail(job, "no generation");
  }
  if (jobDirectory(plan.output, record.planId) !== job) {
    fail(job, `it is the job of ${plan.output}, plan ${record.planId}, not of this directory`);
  }
  const area = `${record.jobId}.${record.planId}.${record.generation}.`;
  const beside = spillArea(plan.output, `${record.jobId}.${record.planId}.${record.generation}`);
  if (record.spill !== beside && !record.spill.endsWith(`/warm_start-${area}`)) {
    fail(job, `its spill area ${record.spill} is not this job's`);
  }
  if (!Array.isArray(record.shards) || record.shards.length !== plan.shards.length) {
    fail(job, "shard count");
  }
  record.shards.forEach((s, i) => {
    const location = dataLocation(plan.output, plan.shards[i].shardId, plan.header.numShards);
    if (s.location !== location || s.upload?.location !== location) {
      fail(job, `shard ${i} is not ${location}`);
    }
  });
}

/**
 * Checks `record` against its plan and the layouts recomputed from it (see module docs).
 *
 * @param record the record as read
 * @param job the directory it was read from
 * @param layouts the plan's layouts (layout.ts, recomputed from `record.plan`)
 * @throws CorruptCheckpointError naming what is wrong
 */
export function checkJobRecord(record: JobPlanRecord, job: string, layouts: ShardLayout[]): void {
  guarded(job, () => whole(record, job, layouts));
}

function whole(record: JobPlanRecord, job: string, layouts: ShardLayout[]): void {
  const { plan } = record;
  locations(record, job);
  if (layouts.length !== plan.shards.length) fail(job, "shard count");
  record.shards.forEach((s, i) => {
    if (s.size !== layouts[i].size) fail(job, `shard ${i} size`);
    let at = 0;
    s.parts.forEach((p, n) => {
      if (p.partNumber !== n + 1 || p.offset !== at || !int(p.length)) {
        fail(job, `shard ${i} part ${n + 1}`);
      }
      if (p.copy) {
        const item = layouts[i].items.find((it) =>
          it.copy && it.offset <= p.offset && p.offset + p.length <= it.offset + it.length
        );
        const from = item?.copy;
        if (
          !item || !from || p.copy.copyFrom !== from.copyFrom || p.copy.length !== p.length ||
          p.copy.offset !== from.offset + (p.offset - item.offset)
        ) {
          fail(job, `shard ${i} part ${n + 1} copies what the plan does not`);
        }
      }
      at += p.length;
    });
    if (at !== s.size) fail(job, `shard ${i} parts cover ${at} of ${s.size} bytes`);
    if (s.serverSide.length !== plan.shards[i].tensors.length) fail(job, `shard ${i} tensors`);
  });
  const next = record.shards.map(() => 0);
  for (const [i, t] of record.tasks.entries()) {
    if (t.kind === "parts") {
      const shard = record.shards[t.shard];
      if (!shard || t.first !== next[t.shard] || !int(t.count) || t.count < 1) {
        fail(job, `task ${i}: parts out of order`);
      }
      const last = shard.parts[t.first + t.count - 1];
      if (
        !last || t.offset !== shard.parts[t.first].offset || t.end !== last.offset + last.length
      ) {
        fail(job, `task ${i}: range`);
      }
      next[t.shard] += t.count;
    } else if (t.kind === "map") {
      const pass = plan.remapPasses.find((p) => p.id === t.pass);
      const windows = pass ? Math.ceil((pass.oldEnd - pass.oldStart) / pass.windowRows) : 0;
      if (!pass || !int(t.first) || !int(t.count) || t.first + t.count > windows) {
        fail(job, `task ${i}: windows`);
      }
    } else if (t.kind !== "verify" || !Array.isArray(t.sources)) {
      fail(job, `task ${i}: kind`);
    }
  }
  next.forEach((n, s) => {
    if (n !== record.shards[s].parts.length) fail(job, `shard ${s}: parts without a task`);
  });
}
