/**
 * What started a job, and how two triggers for the same object are ordered.
 *
 * S3 event ordering (AWS): compare `sequencer` only for the same key; right-pad the shorter with
 * zeros, then compare as strings. versitygw's sequencer is an unpadded hexadecimal counter, so
 * its records are compared as numbers. Without sequencers the event time decides.
 *
 * @module
 */

/** Provenance of a job run. */
export interface TriggerInfo {
  /** "http", "event", "schedule" or "cli". */
  source: "http" | "event" | "schedule" | "cli";
  /** The object the event was about (`s3://bucket/key`), for events. */
  key?: string;
  /** S3 event name, e.g. `ObjectCreated:Put`. */
  eventName?: string;
  /** ISO time of the event. */
  eventTime?: string;
  /** S3 sequencer (hex). */
  sequencer?: string;
  /** How to compare sequencers: AWS padding rule, or a plain hexadecimal counter (versitygw). */
  sequencerStyle?: "aws" | "counter";
  /** ETag of the object in the event. */
  etag?: string;
  /** Schedule name, for schedules. */
  schedule?: string;
  /** The watched prefix whose rule started the job, for watches. */
  watch?: string;
}

/** Compares two sequencers of the same key: negative if `a` is older. */
export function compareSequencers(a: string, b: string, style: "aws" | "counter" = "aws"): number {
  if (style === "counter") {
    const x = BigInt(`0x${a || "0"}`);
    const y = BigInt(`0x${b || "0"}`);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  const len = Math.max(a.length, b.length);
  const pa = a.toUpperCase().padEnd(len, "0");
  const pb = b.toUpperCase().padEnd(len, "0");
  return pa < pb ? -1 : pa > pb ? 1 : 0;
}

/**
 * Orders two triggers for the same key: negative if `a` happened before `b`, 0 when they are
 * the same event (a duplicate delivery) or cannot be ordered.
 */
export function compareTriggers(a: TriggerInfo, b: TriggerInfo): number {
  const style = a.sequencerStyle ?? "aws";
  const sameStyle = style === (b.sequencerStyle ?? "aws");
  const ta = a.eventTime ? Date.parse(a.eventTime) : NaN;
  const tb = b.eventTime ? Date.parse(b.eventTime) : NaN;
  const byTime = Number.isFinite(ta) && Number.isFinite(tb) && ta !== tb ? (ta < tb ? -1 : 1) : 0;
  // A counter restarts with its server, so for counters a different event time wins.
  if (style === "counter" && byTime !== 0) return byTime;
  if (a.sequencer && b.sequencer && sameStyle) {
    return compareSequencers(a.sequencer, b.sequencer, style);
  }
  return byTime;
}
