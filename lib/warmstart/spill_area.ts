/**
 * A job's temporary area: objects named `<output dir>/.warm_start/tmp/<job id>.<name>`, beside
 * the output (or `<dir>/warm_start-<job id>.<name>` under a directory the caller names, e.g. a
 * local disk for a job on S3), written and deleted through the job's store (so S3 works and
 * store policies apply). Names derive from the job, never from the run: a rerun of a killed job
 * finds what the earlier run left — finished objects and unfinished writes alike (the store's
 * uploads) — and removes it before it starts, and every run removes its own on success and on
 * failure.
 *
 * @module
 */
import { dirnameLocation, joinLocation, settleEach, type Store } from "../storage/mod.ts";

/** The prefix of job `jobId`'s temporary objects for `output` (or under directory `under`). */
export function spillArea(output: string, jobId: string, under?: string): string {
  if (under !== undefined) return joinLocation(under, `warm_start-${jobId}.`);
  return joinLocation(dirnameLocation(output), `.warm_start/tmp/${jobId}.`);
}

/** The spill object of window `w` of remap pass `pass`. */
export function spillLocation(area: string, pass: number, w: number): string {
  return `${area}pass-${pass}.window-${w}`;
}

/**
 * Where a vocabulary join of run `runId` spills its tokens (token_runs.ts); without `runId`, the
 * prefix of every run's. Names are per run, not per job: a join runs before the job is claimed,
 * so two runs of one job may join at once, and must never read each other's tokens.
 */
export function tokenSpillArea(area: string, runId?: string): string {
  return runId === undefined ? `${area}vocab-` : `${area}vocab-${runId}.`;
}

/**
 * Removes every object of the area and every unfinished write there (what a killed run was
 * still writing). Best effort: a failure to clean up never fails the job (the next run of the
 * job removes it before it starts).
 */
export async function removeSpillArea(store: Store, area: string): Promise<void> {
  await Promise.allSettled([
    store.list(area).then((ls) => settleEach(ls, (l) => store.delete(l))),
    store.listUploads(area).then((us) => settleEach(us, (u) => store.abortUpload(u))),
  ]);
}
