/**
 * Publishing a job's output, so that nothing corrupt, mixed or stale is ever visible and a run
 * killed at any moment converges when run again:
 *
 * 1. Prepare: a marker whose files are all still there answers "already published"; a stale one
 *    (its files are gone) is removed. The output is claimed (claim.ts): a different job that
 *    holds it fails this one with JobConflictError. Files this job does not own are refused: a
 *    foreign checkpoint at the output, foreign files under its prefix, a `checkpoint` state file
 *    listing checkpoints this function did not write, an output in an input's directory —
 *    unless the spec says `"overwrite": true`. Uploads left by dead runs are aborted.
 * 2. The executor stages the data shards (invisible uploads) while every source tensor is checked
 *    against its CRC32C (verify_sources.ts).
 * 3. Commit: the shards are completed, the index is written create-only (an identical index
 *    already there means another run of this job got there first: converged), then `.meta`, the
 *    state file, and the completion marker describing every published file; the claim goes last.
 *    A run that fails stages nothing visible; a published file is never removed.
 *
 * @module
 */
import {
  basenameLocation,
  dirnameLocation,
  type JobStore,
  joinLocation,
  ObjectTooLargeError,
  PreconditionFailedError,
  readCapped,
  type Store,
  type WritePiece,
} from "../storage/mod.ts";
import {
  encodeBundleIndex,
  indexLocation,
  metaGraphLocation,
  readCheckpointState,
  STATE_FILE_NAME,
  writeCheckpointState,
} from "../checkpoint/mod.ts";
import { type Claim, claimOutput, type ClaimTiming, peekClaim } from "./claim.ts";
import { JobConflictError } from "./errors.ts";
import type { StagedData } from "./executor.ts";
import {
  bookkeepingDir,
  type CompletionMarker,
  isPublished,
  markerLocation,
  type PublishedFile,
  readMarker,
  writeMarker,
} from "./marker.ts";
import type { Plan } from "./plan.ts";
import type { Report } from "./types.ts";

/** Who publishes. */
export interface Publisher {
  /** The job (hash of the spec). */
  jobId: string;
  /** This run. */
  runId: string;
  /** What started it, recorded in the marker. */
  trigger?: unknown;
  /** Replace foreign files at the output (the spec's `overwrite`). */
  overwrite: boolean;
  /** Claim refresh and staleness. */
  claimTiming: ClaimTiming;
}

/** A prepared output: claimed, checked, cleaned — or already published by this job. */
export type PreparedOutput =
  /** The claim; release it once published or failed. */
  | { claim: Claim; published?: undefined }
  /** The intact marker of an earlier run of this job. */
  | { claim?: undefined; published: CompletionMarker };

const OWN_FILE = /^(index|meta|data-\d{5}-of-\d{5})$/;

/**
 * Step 1 (see module docs).
 *
 * @param store the job's store
 * @param plan the plan
 * @param inputDirs directories of the OLD and NEW checkpoints
 * @param who the job, run and options
 * @param keep upload ids a split job of this run resumes (dead runs' other uploads are aborted)
 * @returns the claim, or the marker of an already published identical output
 * @throws JobConflictError when the output is another job's or holds foreign files
 */
export async function prepareOutput(
  store: JobStore,
  plan: Plan,
  inputDirs: string[],
  who: Publisher,
  keep: ReadonlySet<string> = new Set(),
): Promise<PreparedOutput> {
  const { output } = plan;
  const marker = await readMarker(store, output);
  if (marker && await isPublished(store, marker)) {
    if (marker.jobId !== who.jobId) throw new JobConflictError(output, `by job ${marker.jobId}`);
    await removeLeftovers(store, output);
    return { published: marker };
  } else if (marker) {
    // Its files are gone or replaced: the marker describes nothing any more.
    await store.delete(markerLocation(output));
  }
  // Refusals come before the claim is written: a refused job writes nothing.
  const held = await peekClaim(store, output);
  const stale = held !== undefined && Date.now() - held.heartbeatAt > who.claimTiming.staleMs;
  if (held && held.jobId !== who.jobId && !stale) {
    throw new JobConflictError(output, `by job ${held.jobId}, which is still writing it`);
  }
  const dead = held !== undefined && held.jobId !== who.jobId; // a stale claim of another job
  await checkOwnership(store, plan, inputDirs, { ours: held?.jobId === who.jobId, dead }, who);
  const claim = await claimOutput(store, output, who, who.claimTiming);
  try {
    // What dead runs left, but nothing a live run of this job may be writing right now (a
    // claim or marker it is putting, an upload it stages): that is older than a live run's
    // claim may go unrefreshed. The rest goes once this job publishes (removeLeftovers).
    if (claim.start !== "shared") {
      await abortLeftovers(store, output, keep, who.claimTiming.staleMs);
    }
    return { claim };
  } catch (e) {
    await claim.release().catch(() => {});
    throw e;
  }
}

/** Refuses foreign files at the output and foreign state files (see module docs). */
async function checkOwnership(
  store: JobStore,
  plan: Plan,
  inputDirs: string[],
  previous: { ours: boolean; dead: boolean },
  who: Publisher,
): Promise<void> {
  const { output } = plan;
  const dir = dirnameLocation(output);
  const refuse = (why: string) => {
    throw new JobConflictError(output, `${why}; or set "overwrite": true in the spec`);
  };
  if (!who.overwrite && inputDirs.includes(dir)) {
    refuse(
      `as a directory of an input checkpoint (${dir}): its files and \`checkpoint\` state ` +
        "file belong to that checkpoint; write the merged checkpoint to its own directory",
    );
  }
  const { ours, dead } = previous;
  const existing = (await store.list(`${output}.`)).filter((l) =>
    OWN_FILE.test(l.slice(output.length + 1))
  );
  if (existing.length > 0 && !ours && !who.overwrite) {
    if (existing.includes(indexLocation(output)) || !dead) {
      refuse(`by files this job did not write (${existing.join(", ")})`);
    }
  }
  if (!ours && (dead || who.overwrite)) {
    // A dead run of another job left these unpublished, or the spec replaces what is there:
    // files of the prefix that are not part of this output go.
    const planned = new Set([
      ...plan.shards.map((s) =>
        `${output}.data-${pad(s.shardId)}-of-${pad(plan.header.numShards)}`
      ),
      indexLocation(output),
      ...(plan.metaLocation ? [metaGraphLocation(output)] : []),
    ]);
    await Promise.all(existing.filter((l) => !planned.has(l)).map((l) => store.delete(l)));
  }
  if (!who.overwrite) {
    const state = await readCheckpointState(store, dir, { fresh: true }).catch(() => undefined);
    const listed = state ? [state.modelCheckpointPath, ...state.allModelCheckpointPaths] : [];
    const name = basenameLocation(output);
    for (const path of new Set(listed.filter((p) => p !== "" && p !== name && p !== output))) {
      const marked = await store.stat(markerLocation(joinLocation(dir, path)), { fresh: true });
      if (!marked) {
        refuse(
          `beside checkpoints this function did not write: ${joinLocation(dir, STATE_FILE_NAME)} ` +
            `lists ${path}`,
        );
      }
    }
  }
}

function pad(n: number): string {
  return String(n).padStart(5, "0");
}

/**
 * Once an output is published by this job (just now, or by an earlier run): temp files or uploads
 * left under the output's names go (best effort) — e.g. a run killed between the marker's
 * create-only link and its temp file's unlink. A live run of the same job can only be finishing:
 * it fails retryably and its retry answers "already published".
 *
 * @param store the job's store
 * @param output the output prefix
 */
export async function removeLeftovers(store: Store, output: string): Promise<void> {
  await abortLeftovers(store, output).catch(() => {});
}

/**
 * Aborts uploads under the output's names (and its bookkeeping) and of its directory's state
 * file (a run killed while writing it), but those in `keep` and, with `minAgeMs`, those started
 * less than that long ago (or at an unknown time).
 */
async function abortLeftovers(
  store: Store,
  output: string,
  keep: ReadonlySet<string> = new Set(),
  minAgeMs?: number,
): Promise<void> {
  const old = (u: { initiated?: number }) =>
    minAgeMs === undefined || (u.initiated !== undefined && Date.now() - u.initiated >= minAgeMs);
  const state = joinLocation(dirnameLocation(output), STATE_FILE_NAME);
  const prefixes = [
    `${output}.`,
    joinLocation(bookkeepingDir(output), `${basenameLocation(output)}.`),
  ];
  const uploads = [
    ...(await Promise.all(prefixes.map((p) => store.listUploads(p)))).flat(),
    // The state file's own (a prefix listing also finds `checkpoints/…` beside it).
    ...(await store.listUploads(state)).filter((u) => u.location === state),
  ];
  await Promise.all(
    uploads.filter((u) => !keep.has(u.uploadId) && old(u)).map((u) =>
      store.abortUpload(u).catch(() => {})
    ),
  );
}

/** How far a commit got, for cleaning up after a failure. */
export interface CommitProgress {
  /** Set once the first staged shard became visible. */
  visible: boolean;
}

/** What a commit produced. */
export interface Committed {
  /** The published files. */
  files: PublishedFile[];
  /** True when an identical index was already there (another run of this job won the race). */
  converged: boolean;
}

/**
 * Step 3 (see module docs): makes the staged output visible, in TF's order.
 *
 * @param store the job's store
 * @param plan the plan
 * @param staged the staged data shards and output entries
 * @param prepared the claim
 * @param publish the marker's contents beyond the files (job, inputs, report)
 * @returns the published files
 * @throws JobConflictError when the claim was lost or another index is there
 */
export async function commitOutput(
  store: JobStore,
  plan: Plan,
  staged: StagedData,
  prepared: PreparedOutput,
  publish: {
    who: Publisher;
    inputs: Record<string, string>;
    report: Report;
    newIndexEtag?: string;
  },
  progress: CommitProgress = { visible: false },
): Promise<Committed> {
  const { output } = plan;
  if (!await prepared.claim?.isOurs()) {
    throw new JobConflictError(output, "by another job, which took over this job's claim");
  }
  const files: PublishedFile[] = [];
  for (const shard of staged.shards) {
    progress.visible = true;
    const w = await store.completeUpload(shard.upload, shard.parts);
    files.push({ location: shard.location, size: w.size, etag: w.etag });
  }
  const index = indexLocation(output);
  const indexBytes = encodeBundleIndex(plan.header, [...staged.entries, ...plan.dataless]);
  let converged = false;
  try {
    const w = await store.put(index, indexBytes, { ifNoneMatch: true });
    files.push({ location: index, size: w.size, etag: w.etag });
  } catch (e) {
    if (!(e instanceof PreconditionFailedError)) throw e;
    // Only an index of exactly these bytes converges: never read more than that.
    const there = await readCapped(store, index, indexBytes.length, "Output index", {
      fresh: true,
    }).catch((e) => {
      if (e instanceof ObjectTooLargeError) return undefined;
      throw e;
    });
    if (there === undefined || !sameBytes(there, indexBytes)) {
      throw new JobConflictError(output, "by another run with a different index");
    }
    converged = true;
    const st = await store.stat(index, { fresh: true });
    files.push({ location: index, size: there.length, etag: st?.etag ?? "" });
  }
  if (plan.metaLocation) {
    const source = await store.stat(plan.metaLocation);
    if (source) {
      const meta = metaGraphLocation(output);
      const piece: WritePiece = { copyFrom: plan.metaLocation, offset: 0, length: source.size };
      const w = await store.write(
        meta,
        (async function* () {
          yield piece;
        })(),
      );
      files.push({ location: meta, size: w.size, etag: w.etag });
    }
  }
  await publishState(store, output);
  const marker: CompletionMarker = {
    jobId: publish.who.jobId,
    output,
    ...(publish.newIndexEtag ? { newIndexEtag: publish.newIndexEtag } : {}),
    inputs: publish.inputs,
    files,
    ...(publish.who.trigger !== undefined ? { trigger: publish.who.trigger } : {}),
    finishedAt: new Date().toISOString(),
    report: publish.report,
  };
  if (!await writeMarker(store, marker)) {
    const other = await readMarker(store, output);
    if (other && other.jobId !== publish.who.jobId) {
      throw new JobConflictError(output, `by job ${other.jobId}`);
    }
  }
  return { files, converged };
}

/**
 * Ends a run: after a publish, releases the claim and aborts what dead runs left; after a failure
 * with nothing visible, releases the claim; after a failure with files already visible, keeps
 * it, so that a rerun of this job recognises them as its own and converges.
 *
 * @param store the job's store
 * @param output the output prefix
 * @param prepared the claim
 * @param end how the run ended
 */
export async function finishOutput(
  store: JobStore,
  output: string,
  prepared: PreparedOutput,
  end: "published" | "failed" | "failed_visible",
): Promise<void> {
  if (end === "failed_visible") return prepared.claim?.keep();
  await prepared.claim?.release().catch(() => {});
  if (end === "published") await removeLeftovers(store, output);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Names the output in its directory's `checkpoint` file, like a TF save: it becomes the latest,
 * earlier entries stay listed (an unreadable state file is replaced, as TF would).
 */
async function publishState(store: JobStore, output: string): Promise<void> {
  const dir = dirnameLocation(output);
  const name = basenameLocation(output);
  const previous = await readCheckpointState(store, dir, { fresh: true }).catch(() => undefined);
  const kept = (previous?.allModelCheckpointPaths ?? []).filter((p) => p !== name && p !== output);
  await writeCheckpointState(store, dir, {
    modelCheckpointPath: name,
    allModelCheckpointPaths: [...kept, name],
    allModelCheckpointTimestamps: [],
  });
}
