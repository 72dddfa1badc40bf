/**
 * What started a job, and how two triggers for the same object are ordered: by the object
 * version storage holds now, never by what a request claims. An event's `sequencer` and
 * `eventTime` come with the request and can be forged (a maximal sequencer would otherwise make
 * every later genuine event look older), so they are kept as provenance only. Each event is
 * pinned at resolution to the object's ETag read back from storage (event_jobs.ts); two triggers
 * of one key with the same ETag are the same version, and of two different ETags the one storage
 * still holds is the newer.
 *
 * @module
 */
import type { Store } from "../storage/mod.ts";
import { normalizeEtag } from "./s3_events.ts";

/** Provenance of a job run. */
export interface TriggerInfo {
  /** "http", "event", "schedule" or "cli". */
  source: "http" | "event" | "schedule" | "cli";
  /** The object the event was about (`s3://bucket/key`), for events. */
  key?: string;
  /** S3 event name, e.g. `ObjectCreated:Put`. */
  eventName?: string;
  /** ISO time of the event (as sent; provenance only). */
  eventTime?: string;
  /** S3 sequencer (hex, as sent; provenance only). */
  sequencer?: string;
  /** How the sender counts sequencers: AWS's padded hex, or versitygw's counter. */
  sequencerStyle?: "aws" | "counter";
  /** ETag of the object version the job was made from, as read back from storage. */
  etag?: string;
  /** Schedule name, for schedules. */
  schedule?: string;
  /** The watched prefix whose rule started the job, for watches. */
  watch?: string;
}

/** The current ETag of `key` (normalized), or undefined when the object is gone. */
export async function currentEtag(store: Store, key: string): Promise<string | undefined> {
  return normalizeEtag((await store.stat(key))?.etag);
}

/** True when both triggers name the same key and the same object version. */
export function sameVersion(a: TriggerInfo, b: TriggerInfo | undefined): boolean {
  return b !== undefined && a.key !== undefined && a.key === b.key && a.etag !== undefined &&
    a.etag === b.etag;
}

/**
 * Whether `trigger` comes from an older version of the object `than` came from: same key,
 * different ETags, and storage holds `than`'s version now (read back with one stat).
 *
 * @param store where the object lives
 * @param trigger the trigger in question
 * @param than e.g. the trigger recorded in an output's completion marker
 */
export async function supersededBy(
  store: Store,
  trigger: TriggerInfo,
  than: TriggerInfo | undefined,
): Promise<boolean> {
  if (trigger.key === undefined || than?.key !== trigger.key) return false;
  if (trigger.etag === undefined || than.etag === undefined || trigger.etag === than.etag) {
    return false;
  }
  return (await currentEtag(store, trigger.key)) === than.etag;
}
