/**
 * The claim on an output: `<output dir>/.warm_start/<output name>.claim.json`, created
 * create-only before a job writes anything for that output, refreshed while it runs, removed once
 * its completion marker is written. Two DIFFERENT jobs never write one output: the second finds
 * the first's claim and fails with JobConflictError, having written nothing. Runs of the SAME job
 * (a rerun after a crash, a duplicate event, a second instance) share the claim: they write the
 * same bytes, stage everything invisibly, and never remove a visible file, so any interleaving
 * publishes one correct output. A claim whose owner stopped refreshing it for `staleMs` is stale:
 * a different job may take the output over (its leftovers are unpublished by construction).
 *
 * @module
 */
import {
  basenameLocation,
  joinLocation,
  ObjectNotFoundError,
  PreconditionFailedError,
  readCapped,
  type Store,
} from "../storage/mod.ts";
import { JobConflictError } from "./errors.ts";
import { bookkeepingDir } from "./marker.ts";

/** Timing of claims. */
export interface ClaimTiming {
  /** How often the owner refreshes its claim (default 10 s). */
  heartbeatMs: number;
  /** A claim not refreshed for this long is stale (default 60 s). */
  staleMs: number;
}

/** The defaults of {@link ClaimTiming}. */
export const DEFAULT_CLAIM_TIMING: Readonly<ClaimTiming> = { heartbeatMs: 10_000, staleMs: 60_000 };

/** What a claim object holds. */
export interface ClaimRecord {
  /** The job that claimed the output. */
  jobId: string;
  /** The run (process) that refreshes it. */
  runId: string;
  /** The output prefix. */
  output: string;
  /** When it was last refreshed (ms since the epoch). */
  heartbeatAt: number;
}

/** How a run came to hold the output. */
export type ClaimStart =
  /** No claim existed: nothing of any other run is in flight. */
  | "fresh"
  /** A stale claim (of this or another job) was taken over: its run is gone. */
  | "taken_over"
  /** A live claim of the same job: another run of this job may be writing too. */
  | "shared";

/** A held claim. */
export interface Claim {
  /** Where the claim object is. */
  location: string;
  /** How it was obtained. */
  start: ClaimStart;
  /** The job of the claim record found, when there was one. */
  previousJobId?: string;
  /** True while this run's record is the claim (it refreshed or created it last). */
  isOurs(): Promise<boolean>;
  /** Stops refreshing; removes the claim if it is still this run's. */
  release(): Promise<void>;
  /**
   * Stops refreshing but keeps the claim: after a failure with files already visible, a rerun of
   * this job must recognise them as its own.
   */
  keep(): void;
}

/** Where the claim of `output` lives. */
export function claimLocation(output: string): string {
  return joinLocation(bookkeepingDir(output), `${basenameLocation(output)}.claim.json`);
}

/**
 * The claim record of `output`, if any (read fresh, never pinned).
 *
 * @param store the job's store
 * @param output the output prefix
 * @returns the record
 */
export function peekClaim(store: Store, output: string): Promise<ClaimRecord | undefined> {
  return readClaim(store, claimLocation(output));
}

/** Largest claim read (a few hundred bytes of JSON are written; issue 9: caps before reading). */
const MAX_CLAIM_BYTES = 1024 * 1024;

async function readClaim(store: Store, location: string): Promise<ClaimRecord | undefined> {
  try {
    const bytes = await readCapped(store, location, MAX_CLAIM_BYTES, "Claim", { fresh: true });
    const record = JSON.parse(new TextDecoder().decode(bytes));
    return typeof record?.jobId === "string" ? record as ClaimRecord : undefined;
  } catch (e) {
    if (e instanceof ObjectNotFoundError || e instanceof SyntaxError) return undefined;
    throw e;
  }
}

const encode = (r: ClaimRecord) => new TextEncoder().encode(JSON.stringify(r) + "\n");

/**
 * Claims `output` for job `jobId` (see module docs).
 *
 * @param store the job's store
 * @param output the output prefix
 * @param ids the job and this run
 * @param timing heartbeat and staleness
 * @param now clock
 * @returns the claim; refresh runs until it is released
 * @throws JobConflictError when a live claim of another job holds the output
 */
export async function claimOutput(
  store: Store,
  output: string,
  ids: { jobId: string; runId: string },
  timing: ClaimTiming = DEFAULT_CLAIM_TIMING,
  now: () => number = Date.now,
): Promise<Claim> {
  const location = claimLocation(output);
  const record = (): ClaimRecord => ({ ...ids, output, heartbeatAt: now() });
  let start: ClaimStart | undefined;
  let previousJobId: string | undefined;
  for (let attempt = 0; attempt < 3 && start === undefined; attempt++) {
    try {
      await store.put(location, encode(record()), {
        ifNoneMatch: true,
        contentType: "application/json",
      });
      start = "fresh";
      break;
    } catch (e) {
      if (!(e instanceof PreconditionFailedError)) throw e;
    }
    const held = await readClaim(store, location);
    if (held === undefined) continue; // released meanwhile (or unreadable): try again
    const stale = now() - held.heartbeatAt > timing.staleMs;
    previousJobId = held.jobId;
    if (held.jobId !== ids.jobId && !stale) {
      throw new JobConflictError(
        output,
        `by job ${held.jobId}, which is still writing it (its claim ${location} was refreshed ` +
          `${Math.round((now() - held.heartbeatAt) / 1000)} s ago)`,
      );
    }
    // The same job, or a stale claim: this run takes (or shares) it. A run of another job
    // taking over replaces the record; a same-job run just refreshes it.
    if (held.jobId !== ids.jobId) {
      await store.delete(location);
      try {
        await store.put(location, encode(record()), {
          ifNoneMatch: true,
          contentType: "application/json",
        });
      } catch (e) {
        if (e instanceof PreconditionFailedError) continue; // another taker won: look again
        throw e;
      }
    } else {
      await store.put(location, encode(record()), { contentType: "application/json" });
    }
    start = stale ? "taken_over" : "shared";
  }
  if (start === undefined) {
    throw new JobConflictError(output, `by another job (its claim ${location} keeps changing)`);
  }
  let stopped = false;
  // Refreshes the record while this run is the claim's owner; a same-job run that shares the
  // claim refreshes it too (any of them keeps it live).
  const refresh = async () => {
    if (stopped) return;
    const held = await readClaim(store, location).catch(() => undefined);
    if (held?.jobId === ids.jobId) {
      await store.put(location, encode(record()), { contentType: "application/json" }).catch(
        () => {},
      );
    }
  };
  const timer = setInterval(() => void refresh(), timing.heartbeatMs);
  Deno.unrefTimer(timer);
  return {
    location,
    start,
    ...(previousJobId !== undefined ? { previousJobId } : {}),
    async isOurs() {
      return (await readClaim(store, location))?.jobId === ids.jobId;
    },
    keep() {
      stopped = true;
      clearInterval(timer);
    },
    async release() {
      stopped = true;
      clearInterval(timer);
      const held = await readClaim(store, location).catch(() => undefined);
      if (held?.jobId === ids.jobId && held.runId === ids.runId) await store.delete(location);
    },
  };
}
