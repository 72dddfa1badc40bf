/**
 * The JSON report of a job, computed from the plan (so a dry run reports exactly what a real run
 * will do).
 *
 * @module
 */
import { type Backup, type Plan, type Segment, segmentLength } from "./plan.ts";
import type { RequestCounts } from "../storage/mod.ts";
import type { JobSpec, Report } from "./types.ts";

interface ByteTotals {
  bytesFromOld: number;
  bytesFromNew: number;
  bytesGenerated: number;
}

function addBackup(t: ByteTotals, backup: Backup, bytes: number): void {
  if (backup.kind === "new") t.bytesFromNew += bytes;
  else t.bytesGenerated += bytes;
}

function addSegment(t: ByteTotals, s: Segment): void {
  switch (s.kind) {
    case "range":
      if (s.from === "old") t.bytesFromOld += s.length;
      else t.bytesFromNew += s.length;
      return;
    case "fill":
      t.bytesGenerated += segmentLength(s);
      return;
    case "slice":
      t.bytesFromOld += segmentLength(s);
      return;
    case "rows": {
      let present = 0;
      for (const j of s.rowMap) if (j >= 0) present++;
      t.bytesFromOld += present * s.rowBytes;
      addBackup(t, s.backup, (s.rowMap.length - present) * s.rowBytes);
      return;
    }
    case "columns": {
      let present = 0;
      for (const j of s.colMap) if (j >= 0) present++;
      const oldBytes = s.rows * present * s.elementSize;
      t.bytesFromOld += oldBytes;
      addBackup(t, s.backup, segmentLength(s) - oldBytes);
      return;
    }
  }
}

/** Builds the report of a plan (with the requests the job's store counted, when given). */
export function buildReport(
  spec: JobSpec,
  plan: Plan,
  dryRun: boolean,
  durationMs: number,
  requests?: RequestCounts,
): Report {
  const totals: ByteTotals = { bytesFromOld: 0, bytesFromNew: 0, bytesGenerated: 0 };
  let bytesWritten = 0;
  for (const shard of plan.shards) {
    for (const t of shard.tensors) {
      for (const s of [...t.segments, ...t.padding]) {
        addSegment(totals, s);
        bytesWritten += segmentLength(s);
      }
    }
  }
  const count = (action: string) => plan.variables.filter((v) => v.action === action).length;
  return {
    dryRun,
    ckptToInitializeFrom: spec.ckptToInitializeFrom,
    oldPrefix: plan.oldPrefix,
    newPrefix: plan.newPrefix,
    output: plan.output,
    variables: plan.variables,
    totals: {
      variables: plan.variables.length,
      warmStarted: count("copy") + count("remap"),
      kept: count("keep"),
      copied: count("copy"),
      remapped: count("remap"),
      bytesWritten,
      ...totals,
    },
    ...(requests ? { requests: { ...requests } } : {}),
    durationMs,
  };
}
